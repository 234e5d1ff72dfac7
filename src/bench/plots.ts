import type { SummaryRow } from './summary.ts';

type Spec = { [k: string]: unknown };

/** Vega-Lite specs for a run: learning curves per dataset (test and train) and quality vs cost and time. */
export function plotSpecs(rows: SummaryRow[]): { name: string; spec: Spec }[] {
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const out: { name: string; spec: Spec }[] = [];
  for (const d of datasets) {
    const values = rows.filter((r) => r.dataset === d).flatMap((r) => [
      { shard: r.shard, method: r.method, set: 'test (unseen)', value: r.test.mean },
      ...(r.shard > 0 ? [{ shard: r.shard, method: r.method, set: 'train (given as feedback)', value: r.train.mean }] : []),
    ]).filter((v) => v.value !== null);
    out.push({
      name: `learning-${d}`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: `${d}: agreement with experts as feedback grows`,
        data: { values }, width: 320, height: 220,
        mark: { type: 'line', point: true },
        encoding: {
          column: { field: 'set', type: 'nominal', title: null },
          x: { field: 'shard', type: 'quantitative', title: 'training examples given' },
          y: { field: 'value', type: 'quantitative', title: 'agreement (exact match or CCC)', scale: { domain: [0, 1] } },
          color: { field: 'method', type: 'nominal' },
        },
      },
    });
  }
  const last = new Map<string, SummaryRow>();
  for (const r of rows) {
    const k = `${r.dataset}/${r.method}`;
    if (!last.has(k) || last.get(k)!.shard < r.shard) last.set(k, r);
  }
  const finals = [...last.values()].filter((r) => r.test.mean !== null);
  for (const [name, field, title] of [['cost-vs-quality', 'alignCalls', 'alignment LLM calls (cumulative)'], ['time-vs-quality', 'alignSeconds', 'alignment wall time, s (cumulative)']] as const) {
    out.push({
      name,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: `Test agreement after the last shard vs ${title}`,
        data: { values: finals.map((r) => ({ dataset: r.dataset, method: r.method, x: r[field], y: r.test.mean })) }, width: 420, height: 280,
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title }, y: { field: 'y', type: 'quantitative', title: 'test agreement', scale: { domain: [0, 1] } },
          color: { field: 'method', type: 'nominal' }, shape: { field: 'dataset', type: 'nominal' },
        },
      },
    });
  }
  return out;
}

/**
 * Renders Vega-Lite specs to SVG (vega, headless) and PNG (resvg). Both packages are optional
 * dependencies; without them the run still writes its JSON and Markdown, and says so.
 *
 * @example
 * const files = await renderPlots(specs); // [{ name, svg, png }]
 */
export async function renderPlots(specs: { name: string; spec: Spec }[]): Promise<{ name: string; svg: string; png: Uint8Array | null }[]> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  let Resvg: typeof import('@resvg/resvg-js').Resvg | undefined;
  try { ({ Resvg } = await import('@resvg/resvg-js')); } catch { Resvg = undefined; }
  const out: { name: string; svg: string; png: Uint8Array | null }[] = [];
  for (const { name, spec } of specs) {
    const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const png = Resvg ? new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng() : null;
    out.push({ name, svg, png });
  }
  return out;
}
