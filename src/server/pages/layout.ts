import type { Account } from '../../index.ts';
import { html, type SafeHtml } from '../html.ts';

/** The page frame: header with navigation and the signed-in user, the CSRF token for app.js. */
export function layout(options: { title: string; user: Account | null; csrf: string | null; auth: boolean; body: SafeHtml; wide?: boolean; crumbs?: [string, string][] }): string {
  const { user } = options;
  const admin = user?.role === 'admin';
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${options.csrf ?? ''}">
<title>${options.title} · memalign</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">memalign</a>
  <nav>${user ? html`<a href="/">Judges</a>${admin ? html`<a href="/audit">Audit</a>${options.auth ? html`<a href="/users">Users</a>` : ''}` : ''}` : ''}</nav>
  <div class="who">${user ? html`<span class="user">${user.name}</span> <span class="badge role-${user.role}">${user.role}</span>${options.auth ? html` <button type="button" class="link" data-action="logout">Sign out</button>` : ''}` : ''}</div>
</header>
${options.crumbs?.length ? html`<nav class="crumbs">${options.crumbs.map(([label, href], i) => html`${i ? html`<span class="sep">/</span>` : ''}<a href="${href}">${label}</a>`)}</nav>` : ''}
<main class="${options.wide ? 'wide' : ''}">
${options.body}
</main>
<div id="toast" role="status" aria-live="polite"></div>
</body>
</html>`}`;
}
