import { kindLabels, templateVariables, type Evaluation, type Guideline, type JudgeDefinition, type JudgedRecord, type Json, type QueueItem, type VerdictValue } from '../../index.ts';
import { html, markdown, shown, type SafeHtml } from '../html.ts';

/** A record in the expert's terms: the fields the judge's instructions use, in their order, then the rest. */
export function recordView(judge: JudgeDefinition, record: JudgedRecord): SafeHtml {
  const used = templateVariables(judge.instructions);
  const fields = [...new Set([...used, 'inputs', 'outputs', 'expectations', ...Object.keys(record)])].filter((f) => f !== 'id' && f !== 'metadata' && record[f] !== undefined);
  return html`<div class="record">${fields.map((f) => {
    const value = record[f] as Json;
    if (f === 'outputs' && judge.output.type === 'pairwise' && value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, Json>;
      return html`<section class="field"><h3>outputs</h3><div class="pair"><div><h4>A</h4>${fieldValue(o.A)}</div><div><h4>B</h4>${fieldValue(o.B)}</div></div></section>`;
    }
    return html`<section class="field"><h3>${f}</h3>${fieldValue(value)}</section>`;
  })}</div>`;
}

/** Text as Markdown (rendered safely); anything else as indented JSON. */
export function fieldValue(value: Json | undefined): SafeHtml {
  if (value === undefined || value === null) return html`<p class="muted">—</p>`;
  if (typeof value === 'string') return html`<div class="md">${markdown(value)}</div>`;
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export function valueBadge(value: VerdictValue | null | undefined): SafeHtml {
  if (value === null || value === undefined) return html`<span class="value none">—</span>`;
  return html`<span class="value v-${String(value).toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 30)}">${shown(value)}</span>`;
}

export function reasonBadge(item: QueueItem): SafeHtml {
  return html`<span class="reason r-${item.reason}" title="${item.why}">${item.reason}</span>`;
}

/** The choices a reviewer has: labels with number keys, or a number input. */
export function valueChoices(judge: JudgeDefinition, current: VerdictValue | undefined): SafeHtml {
  const labels = kindLabels(judge.output);
  if (!labels) {
    const k = judge.output as { min: number; max: number; integer: boolean };
    return html`<label class="numeric">Score (${k.min}–${k.max}) <input type="number" name="value" min="${k.min}" max="${k.max}" step="${k.integer ? 1 : 'any'}" value="${current ?? ''}" data-numeric="1"></label>`;
  }
  return html`<div class="choices" role="radiogroup" aria-label="Verdict">${labels.map((l, i) => html`<label class="choice"><input type="radio" name="value" value="${JSON.stringify(l)}" ${current === l ? html`checked` : ''}><kbd>${i + 1}</kbd> ${shown(l)}</label>`)}</div>`;
}

export function guidelineLine(judge: string, g: Guideline): SafeHtml {
  return html`<li><a href="/judges/${encodeURIComponent(judge)}/memory#${g.id}">${g.id}</a> ${g.pinned ? html`<span class="badge pin">pinned</span>` : ''}${g.origin === 'manual' ? html`<span class="badge manual">expert</span>` : ''} ${g.text}</li>`;
}

/** Judge↔human agreement over memory versions, as an inline SVG line chart (no script, no styles). */
export function agreementChart(evaluations: Evaluation[]): SafeHtml {
  const points = evaluations.filter((e) => e.agreement !== null);
  if (points.length === 0) return html`<p class="muted">No agreement measured yet: review some items (calibration items count most), then align.</p>`;
  const W = 640, H = 180, L = 44, R = 16, T = 14, B = 30;
  const xs = points.map((p) => p.version);
  const min = Math.min(...xs), max = Math.max(...xs);
  const x = (v: number) => (max === min ? L + (W - L - R) / 2 : L + ((v - min) / (max - min)) * (W - L - R));
  const y = (a: number) => T + (1 - Math.max(-1, Math.min(1, a)) ) / 2 * (H - T - B);
  const metric = points[0].metric === 'ccc' ? 'CCC' : "Cohen's κ";
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.version).toFixed(1)},${y(p.agreement!).toFixed(1)}`).join(' ');
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${metric} between judge and experts by memory version">
    ${[-1, -0.5, 0, 0.5, 1].map((g) => html`<line x1="${L}" x2="${W - R}" y1="${y(g)}" y2="${y(g)}" stroke="#e3e6ea"/><text x="${L - 6}" y="${y(g) + 4}" text-anchor="end" font-size="11" fill="#667">${g}</text>`)}
    <path d="${path}" fill="none" stroke="#3559c7" stroke-width="2"/>
    ${points.map((p) => html`<circle cx="${x(p.version)}" cy="${y(p.agreement!)}" r="4" fill="#3559c7"><title>v${p.version}: ${metric} ${p.agreement!.toFixed(2)}${p.accuracy !== null ? `, accuracy ${(p.accuracy * 100).toFixed(0)} %` : ''} on ${p.n} item(s)</title></circle>
      <text x="${x(p.version)}" y="${H - 10}" text-anchor="middle" font-size="11" fill="#667">v${p.version}</text>`)}
  </svg><figcaption>${metric} between the judge and the experts, by memory version (hover a point for accuracy and item count).</figcaption></figure>`;
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(0)} %`;
}

export function num2(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : x.toFixed(2);
}

export function progressBar(done: number, total: number, label = ''): SafeHtml {
  return html`<span class="progress"><progress value="${done}" max="${Math.max(total, 1)}" aria-label="${label || 'progress'}"></progress> <em>${done} / ${total}</em></span>`;
}
