// The review app's only script: sends every change to the JSON API (with the CSRF token), follows
// background jobs over server-sent events, and gives the focus view its keyboard. No framework, no
// build step; nothing here evaluates text from the page.
'use strict';

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: 'application/json', 'X-CSRF-Token': csrf(), ...headers }, credentials: 'same-origin' };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const e = data?.error;
    // Each problem as the CLI prints it: file:line: field: what to fix.
    const where = (i) => [i.file, i.line].filter((x) => x !== undefined && x !== null).join(':');
    const issues = Array.isArray(e?.issues) ? e.issues.slice(0, 10).map((i) => `${where(i) ? `${where(i)}: ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ') : '';
    const error = new Error(e ? (issues || e.message) : `HTTP ${res.status}`);
    error.code = e?.code;
    throw error;
  }
  return data;
}

function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.className = `show ${kind}`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = ''; }, 4000);
}

function showError(form, error) {
  const slot = form?.querySelector('[data-error]');
  if (slot) slot.textContent = error.message; else toast(error.message, 'error');
}

function splitTarget(spec) {
  const i = spec.indexOf(' ');
  return [spec.slice(0, i), spec.slice(i + 1)];
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') { body[el.name] = el.checked; continue; }
    if (el.type === 'radio') { if (el.checked) body[el.name] = el.value; continue; }
    if (el.type === 'file' || el.tagName === 'BUTTON') continue;
    const v = el.value;
    if (v === '') continue;
    if ('number' in el.dataset) body[el.name] = Number(v);
    else if ('list' in el.dataset) body[el.name] = v.split(',').map((x) => x.trim()).filter(Boolean);
    else body[el.name] = v;
  }
  return body;
}

function then(action, result) {
  if (action === 'reload') location.reload();
  else if (action === 'show-token') window.prompt('The new API token (shown once; copy it now):', result.token);
}

/** Follows a job's events; resolves with the final data, rejects on failure. */
function follow(jobId, box) {
  return new Promise((resolve, reject) => {
    const bar = box?.querySelector('progress');
    const text = box?.querySelector('[data-job-text]');
    if (box) box.hidden = false;
    const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
    source.addEventListener('progress', (e) => {
      const p = JSON.parse(e.data);
      if (bar) { bar.max = Math.max(1, p.total); bar.value = p.done; }
      if (text) text.textContent = `${p.stage === 'distil' ? 'Distilling guidelines' : p.stage === 'rejudge' ? 'Re-judging items' : 'Judging'}: ${p.done} / ${p.total}`;
    });
    source.addEventListener('note', (e) => { if (text) text.textContent = JSON.parse(e.data).message; });
    source.addEventListener('done', (e) => { source.close(); resolve(JSON.parse(e.data)); });
    source.addEventListener('failed', (e) => { source.close(); const d = JSON.parse(e.data); reject(Object.assign(new Error(d.message), { code: d.code })); });
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) reject(new Error('Lost the connection to the server.')); };
  });
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const kind = form.dataset.form;
  if (!kind && !form.dataset.api) return;
  event.preventDefault();
  const submit = form.querySelector('button[type="submit"], button:not([type])');
  if (submit) submit.disabled = true;
  try {
    if (kind === 'login') {
      await api('POST', '/api/auth/login', formBody(form));
      location.assign(form.dataset.next || '/');
      return;
    }
    if (kind === 'review') return await submitReview(form);
    if (kind === 'upload') {
      // The server reads the file with the CLI's rules (JSONL, JSON or CSV; column mapping) and names any bad line.
      const file = form.querySelector('input[type="file"]').files[0];
      const map = form.elements.map.value.trim();
      const body = { file: { name: file.name, text: await file.text() }, ...(map ? { map } : {}) };
      const result = await api('POST', `/api/queues/${encodeURIComponent(form.dataset.queue)}/items`, body);
      toast(`Added ${result.added} item(s)${result.unchanged ? `, ${result.unchanged} already there` : ''}.`);
      if (result.job) await follow(result.job, form.querySelector('[data-job]'));
      location.reload();
      return;
    }
    const [method, path] = splitTarget(form.dataset.api);
    const result = await api(method, path, formBody(form));
    then(form.dataset.then, result);
  } catch (error) {
    showError(form, error);
  } finally {
    if (submit) submit.disabled = false;
  }
});

document.addEventListener('click', async (event) => {
  const el = event.target.closest('[data-api-click], [data-action]');
  if (!el) return;
  if (el.dataset.apiClick) {
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    el.disabled = true;
    try {
      const [method, path] = splitTarget(el.dataset.apiClick);
      then(el.dataset.then, await api(method, path, el.dataset.body ? JSON.parse(el.dataset.body) : undefined));
    } catch (error) { toast(error.message, 'error'); } finally { el.disabled = false; }
    return;
  }
  const action = el.dataset.action;
  if (action === 'logout') { await api('POST', '/api/auth/logout').catch(() => {}); location.assign('/login'); }
  if (action === 'edit-guideline') { const f = el.closest('li').querySelector('form.gedit'); f.hidden = !f.hidden; f.querySelector('textarea').focus(); }
  if (action === 'align') {
    el.disabled = true;
    const box = el.parentElement.querySelector('[data-job]');
    try {
      const { job } = await api('POST', `/api/judges/${encodeURIComponent(el.dataset.judge)}/align`);
      const result = await follow(job, box);
      if (result.changed) location.assign(`/judges/${encodeURIComponent(el.dataset.judge)}/versions/${result.version}`);
      else { toast('Nothing new to learn: memory is unchanged.'); location.reload(); }
    } catch (error) { toast(error.message, 'error'); el.disabled = false; }
  }
  const focus = el.closest('[data-focus]');
  if (focus) {
    if (action === 'agree') agree(focus);
    if (action === 'disagree') disagree(focus);
    if (action === 'skip') skip(focus);
    if (action === 'back') back(focus);
  }
});

// ---- the focus view ----

const judgeValue = (focus) => (focus.dataset.judgeValue ? JSON.parse(focus.dataset.judgeValue) : undefined);
const radios = (focus) => [...focus.querySelectorAll('input[type="radio"][name="value"]')];

function pick(focus, value) {
  const numeric = focus.querySelector('input[data-numeric]');
  if (numeric) { numeric.value = value ?? ''; return; }
  for (const r of radios(focus)) r.checked = JSON.parse(r.value) === value;
}

function agree(focus) {
  const v = judgeValue(focus);
  if (v === undefined) return toast('The judge has no verdict on this item: pick a value.', 'error');
  pick(focus, v);
  focus.querySelector('form.review')?.classList.add('agreed');
  focus.querySelector('form.review')?.classList.remove('disagreed');
}

function disagree(focus) {
  const v = judgeValue(focus);
  const form = focus.querySelector('form.review');
  form?.classList.add('disagreed');
  form?.classList.remove('agreed');
  const options = radios(focus);
  if (options.length === 2) options.find((r) => JSON.parse(r.value) !== v).checked = true;
  else if (options.length) { for (const r of options) r.checked = false; options.find((r) => JSON.parse(r.value) !== v)?.focus(); return; }
  else { focus.querySelector('input[data-numeric]')?.focus(); return; }
  focus.querySelector('textarea[name="rationale"]')?.focus();
}

const historyKey = (focus) => `memalign.back.${focus.dataset.queue}`;
const pushHistory = (focus) => {
  const list = JSON.parse(sessionStorage.getItem(historyKey(focus)) || '[]').filter((id) => id !== focus.dataset.item);
  list.push(focus.dataset.item);
  sessionStorage.setItem(historyKey(focus), JSON.stringify(list.slice(-200)));
};
const nextUrl = (focus) => `/queues/${encodeURIComponent(focus.dataset.queue)}/review`;
// One key per page view: a retried submission (double press, lost answer) is stored once.
const submissionKey = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)) + Date.now().toString(36);

async function submitReview(form) {
  const focus = form.closest('[data-focus]');
  const body = {};
  const checked = radios(focus).find((r) => r.checked);
  const numeric = focus.querySelector('input[data-numeric]');
  if (checked) body.value = JSON.parse(checked.value);
  else if (numeric && numeric.value !== '') body.value = Number(numeric.value);
  const rationale = form.elements.rationale.value.trim();
  const expected = form.elements.expected.value.trim();
  if (rationale) body.rationale = rationale;
  if (expected) body.expected = expected;
  if (body.value === undefined && !rationale) throw new Error('Pick a value (A agrees with the judge) or write why.');
  await api('POST', `/api/queues/${encodeURIComponent(focus.dataset.queue)}/items/${encodeURIComponent(focus.dataset.item)}/reviews`, body, { 'Idempotency-Key': submissionKey });
  pushHistory(focus);
  location.assign(nextUrl(focus));
}

async function skip(focus) {
  try {
    await api('POST', `/api/queues/${encodeURIComponent(focus.dataset.queue)}/items/${encodeURIComponent(focus.dataset.item)}/skip`);
    pushHistory(focus);
    location.assign(nextUrl(focus));
  } catch (error) { toast(error.message, 'error'); }
}

function back(focus) {
  const list = JSON.parse(sessionStorage.getItem(historyKey(focus)) || '[]').filter((id) => id !== focus.dataset.item);
  const previous = list.pop();
  if (!previous) return toast('No earlier item in this session.');
  sessionStorage.setItem(historyKey(focus), JSON.stringify(list));
  location.assign(`/queues/${encodeURIComponent(focus.dataset.queue)}/review/${encodeURIComponent(previous)}`);
}

document.addEventListener('keydown', (event) => {
  const focus = document.querySelector('[data-focus]');
  if (!focus) return;
  const form = focus.querySelector('form.review');
  const typing = event.target.matches?.('textarea, input[type="text"], input[type="number"], input:not([type])');
  if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') { event.preventDefault(); form?.requestSubmit(); return; }
  if (typing) { if (event.key === 'Escape') event.target.blur(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const help = document.getElementById('help');
  if (event.key === '?') { event.preventDefault(); help.open ? help.close() : help.showModal(); return; }
  if (help?.open) return;
  const key = event.key.toLowerCase();
  if (!form && key !== 'b') return;
  if (key === 'a') { event.preventDefault(); agree(focus); }
  else if (key === 'd') { event.preventDefault(); disagree(focus); }
  else if (key === 'r') { event.preventDefault(); form.elements.rationale.focus(); }
  else if (key === 'e') { event.preventDefault(); const d = form.querySelector('details'); d.open = true; form.elements.expected.focus(); }
  else if (key === 's') { event.preventDefault(); skip(focus); }
  else if (key === 'b') { event.preventDefault(); back(focus); }
  else if (key === 'enter') { event.preventDefault(); form.requestSubmit(); }
  else if (/^[1-9]$/.test(key)) {
    const r = radios(focus)[Number(key) - 1];
    if (r) { event.preventDefault(); r.checked = true; }
  }
});
