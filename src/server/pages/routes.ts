import type { Context, Hono } from 'hono';
import { describeKind, NotFoundError, type Account, type Memalign, type QueueItem } from '../../index.ts';
import type { AppEnv } from '../app.ts';
import type { ReviewService } from '../service.ts';
import { HttpError } from '../http-errors.ts';
import { html, markdown, shown, type SafeHtml } from '../html.ts';
import { layout } from './layout.ts';
import { agreementChart, fieldValue, guidelineLine, num2, pct, progressBar, reasonBadge, recordView, valueBadge, valueChoices } from './render.ts';

/**
 * The review app's pages, rendered on the server from the same service the API uses; everything
 * a page changes goes through the API (app.js sends it, with the CSRF token).
 */
export function pageRoutes(app: Hono<AppEnv>, s: ReviewService, options: { auth: boolean }): void {
  const page = (c: Context<AppEnv>, title: string, body: SafeHtml, extra: { wide?: boolean; crumbs?: [string, string][] } = {}) =>
    c.html(layout({ title, user: c.get('user'), csrf: c.get('csrf'), auth: options.auth, body, ...extra }));
  const signedIn = (c: Context<AppEnv>): Account => {
    const user = c.get('user');
    if (!user) throw new HttpError('unauthorized', 'Sign in first.');
    return user;
  };
  const enc = encodeURIComponent;
  const judgeCrumb = (name: string): [string, string] => [name, `/judges/${enc(name)}`];

  app.get('/login', (c) => {
    if (!options.auth || c.get('user')) return c.redirect('/');
    const next = safeNext(c.req.query('next'));
    return page(c, 'Sign in', html`<section class="narrow card">
      <h1>Sign in</h1>
      <form data-form="login" data-next="${next}">
        <label>User name <input name="name" autocomplete="username" required autofocus></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit" class="primary">Sign in</button>
        <p class="error" data-error></p>
      </form></section>`);
  });

  app.get('/', async (c) => {
    signedIn(c);
    const cards = await Promise.all(s.judges().map(async (ma) => {
      const o = await ma.overview();
      const queues = await s.reviews.queues(ma.definition.name);
      const progress = await Promise.all(queues.map((q) => s.reviews.progress(q.id)));
      return html`<article class="card judge">
        <h2><a href="/judges/${enc(ma.definition.name)}">${ma.definition.name}</a></h2>
        <p class="muted">${describeKind(ma.definition.output)} · memory v${o.version} · ${o.guidelines.length} guidelines · ${o.episodes} episodes · ${o.feedback} feedback</p>
        ${queues.length ? html`<ul class="queues">${queues.map((q, i) => html`<li><a href="/queues/${enc(q.id)}">${q.name}</a> ${progressBar(progress[i].done, progress[i].total, `${q.name} reviewed`)} <a class="button small" href="/queues/${enc(q.id)}/review">Review</a></li>`)}</ul>` : html`<p class="muted">No review queue yet.</p>`}
      </article>`;
    }));
    return page(c, 'Judges', html`<h1>Judges</h1><div class="cards">${cards}</div>`);
  });

  app.get('/judges/:judge', async (c) => {
    const user = signedIn(c);
    const ma = s.judge(c.req.param('judge'));
    const name = ma.definition.name;
    const o = await ma.overview();
    const queues = await s.reviews.queues(name);
    const progress = await Promise.all(queues.map((q) => s.reviews.progress(q.id)));
    const agreement = await s.agreement(user, name);
    const recent = [...new Set((await s.log(user, name, { limit: 500 })).entries.map((e) => e.version))].slice(0, 12);
    const admin = user.role === 'admin';
    return page(c, name, html`
      <h1>${name} <small class="muted">memory v${o.version}</small></h1>
      <p class="muted">${describeKind(ma.definition.output)} · ${o.guidelines.length} guidelines · ${o.episodes} episodes · ${o.feedback} feedback ·
        <a href="/judges/${enc(name)}/memory">memory</a> · <a href="/judges/${enc(name)}/log">version log</a> · <a href="/api/judges/${enc(name)}/export" download>export JSON</a></p>
      <div class="grid2">
        <section class="card">
          <h2>Review queues</h2>
          ${queues.length ? html`<table><thead><tr><th>Queue</th><th>Reviewed</th><th>Open</th><th>Reviews</th><th></th></tr></thead><tbody>${queues.map((q, i) => html`<tr>
            <td><a href="/queues/${enc(q.id)}">${q.name}</a><div class="muted small">${q.description}</div></td><td>${progressBar(progress[i].done, progress[i].total)}</td><td>${progress[i].open}${progress[i].judging ? html` <span class="muted">(+${progress[i].judging} judging)</span>` : ''}</td><td>${progress[i].reviews}</td>
            <td><a class="button small primary" href="/queues/${enc(q.id)}/review">Review</a></td></tr>`)}</tbody></table>` : html`<p class="muted">No queue yet.</p>`}
          ${admin ? html`<details><summary>New queue</summary><form data-api="POST /api/judges/${enc(name)}/queues" data-then="reload" class="stack">
            <label>Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._@-]{0,63}" placeholder="triage"></label>
            <label>Description <input name="description" placeholder="What this queue is for"></label>
            <label>Reviewers per overlap item <input name="reviewers" type="number" min="1" max="10" value="1" data-number></label>
            <label>Share with several reviewers <input name="overlap" type="number" min="0" max="1" step="0.05" value="0.2" data-number></label>
            <label>Calibration share (held out) <input name="calibration" type="number" min="0" max="0.5" step="0.01" value="0.05" data-number></label>
            <button class="primary">Create queue</button></form></details>` : ''}
        </section>
        <section class="card">
          <h2>Align</h2>
          <p><strong>${agreement.pending}</strong> review(s) not yet aligned${agreement.heldOut ? html` · ${agreement.heldOut} calibration review(s) held out to measure agreement` : ''}.</p>
          <p class="${agreement.reviewers.value !== null && agreement.reviewers.value < 0.4 ? 'warn' : ''}">${agreement.reviewers.summary}</p>
          ${agreement.reviewers.pairs.length ? html`<table class="compact"><thead><tr><th>Reviewers</th><th>Items</th><th>Cohen's κ</th></tr></thead><tbody>${agreement.reviewers.pairs.map((p) => html`<tr><td>${p.a} · ${p.b}</td><td>${p.items}</td><td>${num2(p.kappa)}</td></tr>`)}</tbody></table>` : ''}
          ${admin ? html`<button class="primary" data-action="align" data-judge="${name}" ${agreement.pending ? '' : html`disabled`}>Align on ${agreement.pending} review(s)</button>
            <div class="job" data-job hidden><progress max="1" value="0"></progress> <span data-job-text>Starting…</span></div>` : html`<p class="muted">Only admins align.</p>`}
          ${agreementChart(agreement.evaluations)}
          ${recent.length ? html`<p>Versions: ${recent.map((v) => html`<a href="/judges/${enc(name)}/versions/${v}">v${v}</a> `)}</p>` : ''}
        </section>
      </div>
      <section class="card"><h2>Instructions</h2><div class="md">${markdown(ma.definition.instructions)}</div></section>`, { crumbs: [['Judges', '/'], judgeCrumb(name)] });
  });

  app.get('/queues/:queue', async (c) => {
    const user = signedIn(c);
    const queue = await s.queue(user, c.req.param('queue'));
    const ma = s.judge(queue.judge);
    const progress = await s.reviews.progress(queue.id);
    const agreement = await s.queueAgreement(queue);
    const list = await s.items(user, queue.id, { limit: 50, cursor: c.req.query('cursor') ?? null, state: (c.req.query('state') || undefined) as QueueItem['state'] });
    const admin = user.role === 'admin';
    return page(c, queue.name, html`
      <h1>${queue.name} <small class="muted">${queue.judge}</small></h1>
      ${queue.description ? html`<p>${queue.description}</p>` : ''}
      <p>${progressBar(progress.done, progress.total, 'reviewed')} · ${progress.open} open · ${progress.judging} being judged · ${progress.failed} failed · ${progress.reviews} reviews
        <a class="button primary" href="/queues/${enc(queue.id)}/review">Start reviewing</a></p>
      <div class="grid2">
        <section class="card"><h2>Reviewers</h2>
          ${progress.byReviewer.length ? html`<table class="compact"><thead><tr><th>Reviewer</th><th>Reviews</th></tr></thead><tbody>${progress.byReviewer.map((r) => html`<tr><td>${r.reviewer}</td><td>${r.reviews}</td></tr>`)}</tbody></table>` : html`<p class="muted">No review yet.</p>`}
          <p>${agreement.summary}</p>
          <p class="muted small">${queue.reviewers > 1 ? `${pct(queue.overlap)} of items get ${queue.reviewers} blind reviews. ` : ''}${pct(queue.calibration)} of items are the calibration sample (held out from alignment).</p>
        </section>
        ${admin ? html`<section class="card"><h2>Add items</h2>
          <form data-form="upload" data-queue="${queue.id}" class="stack">
            <label>Records (.jsonl, .json or .csv; judged on arrival) or a verdicts file from <code>memalign judge</code>
              <input type="file" name="file" accept=".jsonl,.json,.ndjson,.csv" required></label>
            <label>Column mapping <span class="muted small">(optional, as in the CLI's --map)</span> <input name="map" placeholder="inputs=question,outputs=answer"></label>
            <button class="primary">Add to queue</button>
            <div class="job" data-job hidden><progress max="1" value="0"></progress> <span data-job-text></span></div>
            <p class="error" data-error></p>
          </form>
          ${progress.failed || (progress.judging && !s.jobs.running('judge', queue.judge)) ? html`<button data-api-click="POST /api/queues/${enc(queue.id)}/retry" data-then="reload">Judge ${progress.failed + (s.jobs.running('judge', queue.judge) ? 0 : progress.judging)} unjudged item(s) again</button>` : ''}
          <details><summary>Assign items</summary><form data-api="POST /api/queues/${enc(queue.id)}/assign" data-then="reload" class="stack">
            <label>Item ids (comma-separated) <input name="items" data-list required></label>
            <label>Reviewer (empty: nobody) <input name="reviewer"></label><button>Assign</button></form></details>
        </section>` : ''}
      </div>
      <section class="card"><h2>Items, most needed first</h2>
        <p class="muted small">Order: disagreements with existing expert feedback, then low-confidence verdicts (recalled precedents that disagree), then the calibration and overlap samples, then the rest in input order.</p>
        <p class="filters">${['', 'open', 'done', 'judging', 'failed'].map((st) => html`<a href="?state=${st}" class="${(c.req.query('state') ?? '') === st ? 'on' : ''}">${st || 'all'}</a> `)}</p>
        <table><thead><tr><th>Item</th><th>Why here</th><th>Judge</th><th>State</th><th>Reviews</th><th>Assigned</th></tr></thead><tbody>
        ${list.items.map((it) => html`<tr><td><a href="/queues/${enc(queue.id)}/review/${enc(it.id)}">${it.id}</a></td><td>${reasonBadge(it)} <span class="muted small">${it.why}</span></td>
          <td>${valueBadge(it.verdict?.value)}${it.memoryVersion !== null ? html` <span class="muted small">v${it.memoryVersion}</span>` : ''}</td><td>${it.state}${it.error ? html` <span class="error small">${it.error}</span>` : ''}</td><td>${it.reviews}/${it.needed}</td><td>${it.assignedTo ?? ''}</td></tr>`)}
        </tbody></table>
        ${list.next ? html`<p><a href="?cursor=${list.next}&state=${c.req.query('state') ?? ''}">Next page →</a></p>` : ''}
        <p class="muted small">Judge: ${ma.definition.name} · ${describeKind(ma.definition.output)}</p>
      </section>`, { wide: true, crumbs: [['Judges', '/'], judgeCrumb(queue.judge), [queue.name, `/queues/${enc(queue.id)}`]] });
  });

  // The focus view: the next item for this reviewer (reserved), one at a time.
  app.get('/queues/:queue/review', async (c) => {
    const user = signedIn(c);
    const queue = await s.queue(user, c.req.param('queue'));
    if (user.role === 'viewer') throw new HttpError('forbidden', 'Viewers may read queues but not review: ask an admin for the reviewer role.');
    const item = await s.next(user, queue.id);
    if (!item) {
      const progress = await s.reviews.progress(queue.id);
      return page(c, `${queue.name}: done`, html`<section class="narrow card"><h1>Nothing left for you in ${queue.name}</h1>
        <p>${progress.done} of ${progress.total} items are fully reviewed; ${progress.judging} are still being judged. Items others hold are offered again when their reservation expires.</p>
        <p><a href="/queues/${enc(queue.id)}">Back to the queue</a> · <a href="/judges/${enc(queue.judge)}">Align ${queue.judge}</a></p></section>`);
    }
    return c.redirect(`/queues/${enc(queue.id)}/review/${enc(item.id)}`);
  });

  app.get('/queues/:queue/review/:item', async (c) => {
    const user = signedIn(c);
    const view = await s.itemView(user, c.req.param('queue'), c.req.param('item'));
    const { item, queue } = view;
    const ma = s.judge(queue.judge);
    const def = ma.definition;
    const current = view.mine?.value ?? item.verdict?.value;
    const canReview = user.role !== 'viewer';
    const progress = await s.reviews.progress(queue.id);
    return page(c, `${item.id} · ${queue.name}`, html`
      <div class="focus" data-focus data-queue="${queue.id}" data-item="${item.id}" data-kind="${def.output.type}" data-judge-value="${item.verdict ? JSON.stringify(item.verdict.value) : ''}">
        <div class="main">
          <div class="itemhead"><h1>${item.id}</h1> ${reasonBadge(item)} <span class="muted small">${item.why}</span>
            <span class="right muted small">${progress.done} / ${progress.total} reviewed · press <kbd>?</kbd> for shortcuts</span></div>
          ${recordView(def, item.record)}
          <section class="verdict card">
            <h2>The judge says ${valueBadge(item.verdict?.value)} ${item.memoryVersion !== null ? html`<small class="muted">memory v${item.memoryVersion}</small>` : ''}</h2>
            ${item.verdict ? html`<div class="md">${markdown(item.verdict.rationale)}</div>` : html`<p class="muted">${item.state === 'failed' ? `Judging failed: ${item.error}` : 'Not judged yet.'}</p>`}
          </section>
          ${canReview && item.state !== 'judging' ? html`<form class="review card" data-form="review">
            <div class="agree"><button type="button" data-action="agree" class="good"><kbd>A</kbd> Agree</button> <button type="button" data-action="disagree" class="bad"><kbd>D</kbd> Disagree</button>
              ${view.mine ? html`<span class="muted small">You reviewed this (revision ${view.mine.revision}); submitting again replaces your review, the old one is kept.</span>` : ''}</div>
            ${valueChoices(def, current)}
            <label>Why <span class="muted small">(the judge learns its guidelines from this)</span><textarea name="rationale" rows="4" data-key-target="rationale" placeholder="What is right or wrong here, in general terms">${view.mine?.rationale ?? ''}</textarea></label>
            <details ${view.mine?.expected ? html`open` : ''}><summary>Expected answer (optional)</summary><textarea name="expected" rows="3">${view.mine?.expected ?? ''}</textarea></details>
            <div class="actions"><button type="submit" class="primary">Submit &amp; next <kbd>Ctrl ↵</kbd></button>
              <button type="button" data-action="skip">Skip <kbd>S</kbd></button> <button type="button" data-action="back">Back <kbd>B</kbd></button></div>
            <p class="error" data-error></p>
          </form>` : ''}
          ${view.others.length ? html`<section class="card"><h2>Other reviews <small class="muted">(admins only; reviewers are blind to each other)</small></h2><ul>${view.others.map((r) => html`<li><strong>${r.reviewer}</strong>: ${valueBadge(r.value)} ${r.rationale ?? ''}</li>`)}</ul></section>` : ''}
        </div>
        <aside class="side">
          <section><h2>Instructions</h2><div class="md small">${markdown(def.instructions)}</div></section>
          <section><h2>Guidelines this verdict used</h2>${view.guidelines.length ? html`<ul class="guidelines">${view.guidelines.map((g) => guidelineLine(def.name, g))}</ul>` : html`<p class="muted small">None.</p>`}</section>
          <section><h2>Precedents recalled</h2>${view.precedents.length ? html`<ol class="precedents">${view.precedents.map((p) => html`<li><a href="/judges/${enc(def.name)}/memory?q=${enc(p.id)}#episodes">${p.id}</a> ${valueBadge(p.episode?.value)} <span class="muted small">score ${p.score.toFixed(2)}</span>
            ${p.episode ? html`<div class="small">${p.episode.rationale ?? ''}</div>` : html`<div class="muted small">(no longer in memory)</div>`}</li>`)}</ol>` : html`<p class="muted small">None.</p>`}</section>
          ${view.history.length > 1 ? html`<section><h2>Verdict history</h2><ul class="small">${view.history.map((h) => html`<li>v${h.memoryVersion}: ${valueBadge(h.value)}</li>`)}</ul></section>` : ''}
        </aside>
      </div>
      <dialog id="help"><h2>Keyboard shortcuts</h2><dl class="keys">
        <dt><kbd>A</kbd></dt><dd>agree with the judge</dd><dt><kbd>D</kbd></dt><dd>disagree (picks the other value; then choose)</dd>
        <dt><kbd>1</kbd>–<kbd>9</kbd></dt><dd>pick a label</dd><dt><kbd>R</kbd></dt><dd>write the rationale</dd><dt><kbd>E</kbd></dt><dd>write the expected answer</dd>
        <dt><kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt><dd>submit and go to the next item</dd><dt><kbd>S</kbd></dt><dd>skip</dd><dt><kbd>B</kbd></dt><dd>back to the previous item</dd>
        <dt><kbd>Esc</kbd></dt><dd>leave a text box</dd><dt><kbd>?</kbd></dt><dd>this help</dd></dl><form method="dialog"><button>Close</button></form></dialog>`,
    { wide: true, crumbs: [['Judges', '/'], judgeCrumb(queue.judge), [queue.name, `/queues/${enc(queue.id)}`], [item.id, c.req.path]] });
  });

  app.get('/judges/:judge/memory', async (c) => {
    const user = signedIn(c);
    const ma = s.judge(c.req.param('judge'));
    const name = ma.definition.name;
    const query = c.req.query('q') || undefined;
    const g = await s.guidelines(user, name, query);
    const episodes = await s.episodes(user, name, { q: query, limit: 50, cursor: c.req.query('cursor') ?? null });
    const feedback = await s.feedback(user, name, { q: query, limit: 50 });
    const admin = user.role === 'admin';
    return page(c, `${name} memory`, html`
      <h1>Memory of ${name} <small class="muted">v${g.version}</small></h1>
      <form method="get" class="search"><input name="q" value="${query ?? ''}" placeholder="Search guidelines, episodes and feedback" aria-label="Search"><button>Search</button></form>
      <section class="card" id="guidelines"><h2>Guidelines (${g.guidelines.length})</h2>
        <ul class="guideline-list">${g.guidelines.map((x) => html`<li id="${x.id}" class="guideline" data-guideline="${x.id}">
          <div class="gtext">${x.text}</div>
          <div class="meta small muted">${x.id} · ${x.origin === 'manual' ? 'written by an expert' : 'distilled'}${x.edited ? ' · edited' : ''} · v${x.createdVersion}${x.updatedVersion !== x.createdVersion ? `–v${x.updatedVersion}` : ''}
            ${x.pinned ? html`<span class="badge pin">pinned</span>` : ''} · sources: ${x.sources.length ? x.sources.map((src) => html`<a href="?q=${enc(src)}#feedback">${src}</a> `) : 'none'}</div>
          ${admin ? html`<div class="gactions"><button type="button" data-action="edit-guideline">Edit</button>
            <button type="button" data-api-click="PATCH /api/judges/${enc(name)}/guidelines/${enc(x.id)}" data-body="${JSON.stringify({ pinned: !x.pinned })}" data-then="reload">${x.pinned ? 'Unpin' : 'Pin'}</button>
            <button type="button" data-api-click="DELETE /api/judges/${enc(name)}/guidelines/${enc(x.id)}" data-confirm="Delete this guideline? Distillation will not bring it back until you restore it." data-then="reload">Delete</button></div>
            <form class="gedit" data-api="PATCH /api/judges/${enc(name)}/guidelines/${enc(x.id)}" data-then="reload" hidden><textarea name="text" rows="2">${x.text}</textarea><button class="primary">Save</button></form>` : ''}
        </li>`)}</ul>
        ${admin ? html`<form data-api="POST /api/judges/${enc(name)}/guidelines" data-then="reload" class="inline"><input name="text" required placeholder="Write a guideline of your own" aria-label="New guideline"><label><input type="checkbox" name="pinned" data-bool> pinned</label><button>Add</button></form>` : ''}
        ${g.deleted.length ? html`<h3>Deleted (${g.deleted.length})</h3><ul class="guideline-list deleted">${g.deleted.map((x) => html`<li id="${x.id}"><span class="gtext">${x.text}</span> <span class="muted small">${x.id}</span>
          ${admin ? html`<button type="button" data-api-click="POST /api/judges/${enc(name)}/guidelines/${enc(x.id)}/restore" data-then="reload">Restore</button>` : ''}</li>`)}</ul>` : ''}
      </section>
      <section class="card" id="episodes"><h2>Episodes (${episodes.total})</h2>
        <table><thead><tr><th>Record</th><th>Value</th><th>Rationale</th><th>Feedback</th><th>Since</th></tr></thead><tbody>
        ${episodes.items.map((e) => html`<tr><td><details><summary>${e.id}</summary>${fieldValue(e.record.inputs)}${fieldValue(e.record.outputs)}</details></td><td>${valueBadge(e.value)}</td><td class="small">${e.rationale ?? ''}</td><td class="small">${e.feedbackIds.join(', ')}</td><td>v${e.createdVersion}</td></tr>`)}
        </tbody></table>${episodes.next ? html`<p><a href="?q=${query ?? ''}&cursor=${episodes.next}#episodes">Next page →</a></p>` : ''}
      </section>
      <section class="card" id="feedback"><h2>Feedback (${feedback.total})</h2>
        <table><thead><tr><th>Id</th><th>Record</th><th>Author</th><th>Value</th><th>Rationale</th><th></th></tr></thead><tbody>
        ${feedback.items.map((f) => html`<tr><td class="small">${f.id}</td><td>${f.record.id}</td><td>${f.author ?? ''}</td><td>${valueBadge(f.value)}</td><td class="small">${f.rationale ?? ''}</td>
          <td>${admin ? html`<button type="button" class="small" data-api-click="POST /api/judges/${enc(name)}/forget" data-body="${JSON.stringify({ ids: [f.id] })}" data-confirm="Forget this feedback? Its episode goes and guidelines it supported are revised." data-then="reload">Forget</button>` : ''}</td></tr>`)}
        </tbody></table></section>`, { wide: true, crumbs: [['Judges', '/'], judgeCrumb(name), ['memory', c.req.path]] });
  });

  app.get('/judges/:judge/versions/:version', async (c) => {
    const user = signedIn(c);
    const ma = s.judge(c.req.param('judge'));
    const name = ma.definition.name;
    const v = Number(c.req.param('version'));
    if (!Number.isInteger(v)) throw new NotFoundError('No such version.');
    const d = await s.version(user, name, v);
    const { evaluations } = await s.agreement(user, name);
    const causes = [...new Set(d.entries.map((e) => e.cause))];
    return page(c, `${name} v${v}`, html`
      <h1>${name}: memory v${v}</h1>
      <p class="muted">${causes.join(' · ')} · ${d.entries[0]?.at ?? ''}</p>
      <div class="grid2">
        <section class="card diff"><h2>What changed</h2>
          <h3>Guidelines added (${d.guidelinesAdded.length})</h3><ul class="added">${d.guidelinesAdded.map((g) => html`<li>${g.text} <span class="muted small">${g.id}${'sources' in g && g.sources.length ? html` · from ${g.sources.map((src) => html`<a href="/judges/${enc(name)}/memory?q=${enc(src)}#feedback">${src}</a> `)}` : ''}</span></li>`)}</ul>
          <h3>Guidelines revised (${d.guidelinesRevised.length})</h3><ul class="revised">${d.guidelinesRevised.map((g) => html`<li>${g.text} <span class="muted small">${g.id}</span></li>`)}</ul>
          <h3>Guidelines removed (${d.guidelinesRemoved.length})</h3><ul class="removed">${d.guidelinesRemoved.map((g) => html`<li>${g.text} <span class="muted small">${g.id}</span></li>`)}</ul>
          <p>Episodes added: <strong>${d.episodesAdded.length}</strong> · removed: <strong>${d.episodesRemoved.length}</strong></p>
        </section>
        <section class="card"><h2>How verdicts moved</h2>
          <p>Judge↔human agreement: ${d.previous ? html`<strong>${num2(d.previous.agreement)}</strong> (v${d.previous.version}, accuracy ${pct(d.previous.accuracy)})` : '—'} → ${d.evaluation ? html`<strong>${num2(d.evaluation.agreement)}</strong> (accuracy ${pct(d.evaluation.accuracy)}, ${d.evaluation.n} item(s))` : '—'}</p>
          <h3>Flipped verdicts (${d.flips.length})</h3>
          ${d.flips.length ? html`<table class="compact flips"><thead><tr><th>Item</th><th>Before</th><th>After</th></tr></thead><tbody>${d.flips.map((f) => html`<tr><td><a href="/queues/${enc(f.queue)}/review/${enc(f.item)}">${f.item}</a></td><td>${valueBadge(f.before)}</td><td>${valueBadge(f.after)}</td></tr>`)}</tbody></table>` : html`<p class="muted">No verdict changed.</p>`}
          ${agreementChart(evaluations)}
        </section>
      </div>
      <section class="card"><h2>Log entries</h2><table class="compact"><thead><tr><th>Op</th><th>Target</th><th>Detail</th></tr></thead><tbody>${d.entries.map((e) => html`<tr><td>${e.op}</td><td class="small">${e.target}</td><td class="small">${e.detail}</td></tr>`)}</tbody></table></section>`,
    { wide: true, crumbs: [['Judges', '/'], judgeCrumb(name), [`v${v}`, c.req.path]] });
  });

  app.get('/judges/:judge/log', async (c) => {
    const user = signedIn(c);
    const name = s.judge(c.req.param('judge')).definition.name;
    const before = c.req.query('cursor');
    const log = await s.log(user, name, { limit: 200, before: before ? Number(before) : undefined });
    return page(c, `${name} log`, html`<h1>Version log of ${name}</h1>
      <table><thead><tr><th>Version</th><th>When</th><th>Cause (and who)</th><th>Op</th><th>Target</th><th>Detail</th></tr></thead><tbody>
      ${log.entries.map((e) => html`<tr><td><a href="/judges/${enc(name)}/versions/${e.version}">v${e.version}</a></td><td class="small">${e.at}</td><td class="small">${e.cause}</td><td>${e.op}</td><td class="small">${e.target}</td><td class="small">${e.detail}</td></tr>`)}
      </tbody></table>${log.next ? html`<p><a href="?cursor=${log.next}">Older →</a></p>` : ''}`, { wide: true, crumbs: [['Judges', '/'], judgeCrumb(name), ['log', c.req.path]] });
  });

  app.get('/audit', async (c) => {
    const user = signedIn(c);
    const log = await s.audit(user, { limit: 100, cursor: c.req.query('cursor') ?? null });
    return page(c, 'Audit log', html`<h1>Audit log</h1><table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Detail</th></tr></thead><tbody>
      ${log.items.map((e) => html`<tr><td class="small">${e.at}</td><td>${e.user}</td><td>${e.action}</td><td class="small">${e.target}</td><td class="small">${e.detail}</td></tr>`)}
      </tbody></table>${log.next ? html`<p><a href="?cursor=${log.next}">Older →</a></p>` : ''}`, { wide: true });
  });

  app.get('/users', async (c) => {
    const user = signedIn(c);
    const users = await s.users(user);
    return page(c, 'Users', html`<h1>Users</h1>
      <table><thead><tr><th>Name</th><th>Role</th><th>Since</th><th>State</th><th></th></tr></thead><tbody>${users.map((u) => html`<tr><td>${u.name}</td>
        <td><form class="inline" data-api="PATCH /api/users/${enc(u.name)}" data-then="reload"><select name="role" aria-label="Role of ${u.name}">${['admin', 'reviewer', 'viewer'].map((r) => html`<option ${r === u.role ? html`selected` : ''}>${r}</option>`)}</select><button class="small">Set</button></form></td>
        <td class="small">${u.createdAt}</td><td>${u.disabled ? 'disabled' : 'active'}</td>
        <td><button class="small" type="button" data-api-click="PATCH /api/users/${enc(u.name)}" data-body="${JSON.stringify({ disabled: !u.disabled })}" data-then="reload">${u.disabled ? 'Enable' : 'Disable'}</button>
          <button class="small" type="button" data-api-click="POST /api/users/${enc(u.name)}/tokens" data-body="${JSON.stringify({ label: 'app' })}" data-then="show-token">New API token</button></td></tr>`)}</tbody></table>
      <section class="card narrow"><h2>Add a user</h2><form data-api="POST /api/users" data-then="reload" class="stack">
        <label>Name <input name="name" required></label>
        <label>Role <select name="role"><option>reviewer</option><option>viewer</option><option>admin</option></select></label>
        <label>Password (at least 10 characters) <input name="password" type="password" minlength="10" required autocomplete="new-password"></label>
        <button class="primary">Add user</button></form></section>`);
  });
}

/** A sign-in redirect target: a path on this site only. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

