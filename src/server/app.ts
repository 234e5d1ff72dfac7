import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { bodyLimit } from 'hono/body-limit';
import { VERSION, type Account, type Memalign, type ReviewStore } from '../index.ts';
import { LoginLimiter, newSecret, secretHash, verifyPassword, type Permission } from './auth.ts';
import { errorBody, HttpError } from './http-errors.ts';
import { openApiDocument, type Operation } from './openapi.ts';
import { ReviewService, type ServiceOptions } from './service.ts';
import { apiRoutes } from './api/routes.ts';
import { pageRoutes } from './pages/routes.ts';
import { serveAsset } from './assets.ts';
import { escapeHtml } from './html.ts';

/** Options of the review server's app. */
export interface AppOptions extends ServiceOptions {
  judges: Memalign[];
  reviews: ReviewStore;
  /** False only on loopback, with an explicit --no-auth: everyone is the local admin. */
  auth: boolean;
  /** Cookies marked Secure (behind HTTPS). */
  secureCookies?: boolean;
  /** Session lifetime in ms (default 12 hours). */
  sessionMs?: number;
  /** Largest request body in bytes (default 64 MiB, for uploads of records). */
  maxBodyBytes?: number;
}

export type AppEnv = { Variables: { user: Account | null; csrf: string | null; via: 'session' | 'token' | 'open' | null } };

export const SESSION_COOKIE = 'memalign_session';
const LOCAL_ADMIN: Account = { name: 'local', role: 'admin', createdAt: '1970-01-01T00:00:00.000Z', disabled: false };
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The review server: the JSON API under /api (described at /api/openapi.json), the review app's
 * pages, and their assets. Every handler goes through `ReviewService`, which holds the rules.
 *
 * @example
 * const { app, service } = createApp({ judges: [ma], reviews, auth: true });
 */
export function createApp(options: AppOptions): { app: Hono<AppEnv>; service: ReviewService; operations: Operation[] } {
  const service = new ReviewService(options.judges, options.reviews, options);
  // Failed sign-ins: 5 per user name and 30 per client address in 10 minutes (a higher bar per
  // address, so one client behind a shared proxy cannot lock everyone else out).
  const userLimit = new LoginLimiter(5);
  const addressLimit = new LoginLimiter(30);
  const sessionMs = options.sessionMs ?? 12 * 3600_000;
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    const { status, body } = errorBody(error);
    if (status === 500 && !(error instanceof HttpError)) console.error(error);
    if (error instanceof HttpError && error.retryAfterS) c.header('Retry-After', String(error.retryAfterS));
    if (!c.req.path.startsWith('/api/') && (status === 401)) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
    if (!c.req.path.startsWith('/api/')) return c.html(errorPage(status, body.error.message), status as 400);
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.req.path.startsWith('/api/') ? c.json({ error: { code: 'not_found', message: `No API route ${c.req.method} ${c.req.path}: see /api/openapi.json.` } }, 404) : c.html(errorPage(404, 'No such page.'), 404));

  // Security headers on everything.
  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  // Who is asking: an API token, a session cookie, or (without auth) the local admin.
  app.use('*', async (c, next) => {
    c.set('user', null); c.set('csrf', null); c.set('via', null);
    if (!options.auth) {
      // Without auth, only loopback host names are served (no DNS rebinding from a web page).
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new HttpError('forbidden', `This server runs without authentication and answers only to 127.0.0.1 or localhost, not "${host.slice(0, 100)}".`);
      c.set('user', LOCAL_ADMIN); c.set('via', 'open');
      return next();
    }
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      const user = await options.reviews.tokenUser(secretHash(bearer));
      if (!user) throw new HttpError('unauthorized', 'The API token is unknown or its user is disabled: create a new one with "memalign user token <name>".');
      c.set('user', user); c.set('via', 'token');
      return next();
    }
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) {
      const session = await options.reviews.session(secretHash(sid));
      if (session) { c.set('user', session.account); c.set('csrf', session.csrf); c.set('via', 'session'); }
    }
    return next();
  });

  // State changes: same origin, JSON bodies, and the session's CSRF token (cookies are ambient; tokens are not).
  app.use('*', async (c, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) return next();
    const origin = c.req.header('origin');
    const self = `${new URL(c.req.url).protocol}//${c.req.header('host')}`;
    if (origin && origin !== self) throw new HttpError('csrf', `Cross-origin request from ${origin.slice(0, 100)} refused.`);
    if (c.req.header('sec-fetch-site') === 'cross-site') throw new HttpError('csrf', 'Cross-site request refused.');
    const type = c.req.header('content-type') ?? '';
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > maxBody) throw new HttpError('payload_too_large', `The request body is ${length} bytes; at most ${maxBody} are accepted. Send items in parts.`);
    // A body (or a declared type) must be JSON: an HTML form cannot send that cross-site without a preflight.
    const hasBody = length > 0 || c.req.header('transfer-encoding') !== undefined;
    if ((hasBody || type !== '') && !/^application\/json\b/i.test(type)) throw new HttpError('unsupported_media_type', 'Send JSON (Content-Type: application/json).');
    if (c.get('via') === 'session' && c.req.header('x-csrf-token') !== c.get('csrf')) throw new HttpError('csrf', 'Missing or wrong X-CSRF-Token header: reload the page (the token is in GET /api/me).');
    return next();
  });

  // Bodies sent without a length (chunked) are cut off at the same limit while they are read.
  app.use('/api/*', bodyLimit({ maxSize: maxBody, onError: () => { throw new HttpError('payload_too_large', `The request body is over ${maxBody} bytes. Send items in parts.`); } }));

  const operations: Operation[] = [];
  const handle = (op: Operation, fn: (c: Context<AppEnv>, user: Account) => Promise<unknown>) => {
    operations.push(op);
    app[op.method](op.path, async (c) => {
      const user = c.get('user');
      if (op.permission !== 'public') {
        if (!user) throw new HttpError('unauthorized', 'Sign in first (POST /api/auth/login), or send an API token (Authorization: Bearer …).');
        service.need(user, op.permission as Permission);
      }
      const result = await fn(c, user!);
      if (result instanceof Response) return result;
      return c.json(result ?? { ok: true });
    });
  };

  handle({ method: 'post', path: '/api/auth/login', tag: 'auth', permission: 'public', summary: 'Sign in; sets an HTTP-only session cookie', returns: 'the account and the CSRF token',
    body: { type: 'object', required: ['name', 'password'], properties: { name: { type: 'string' }, password: { type: 'string' } } } }, async (c) => {
    const body = await json(c);
    const name = typeof body.name === 'string' ? body.name.slice(0, 100) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1000) : '';
    const ip = clientAddress(c);
    const userKey = [`user:${name.toLowerCase()}`];
    const addressKey = [`ip:${ip}`];
    const wait = Math.max(userLimit.retryAfter(userKey), addressLimit.retryAfter(addressKey));
    if (wait > 0) throw new HttpError('rate_limited', `Too many failed sign-ins: try again in ${Math.ceil(wait / 60_000)} minute(s).`, Math.ceil(wait / 1000));
    const account = name ? await options.reviews.user(name) : undefined;
    const ok = await verifyPassword(password, account && !account.disabled ? account.passwordHash : null);
    if (!ok || !account) {
      userLimit.fail(userKey);
      addressLimit.fail(addressKey);
      throw new HttpError('unauthorized', 'Wrong user name or password.');
    }
    userLimit.succeed(userKey);
    const sid = newSecret();
    const csrf = newSecret();
    await options.reviews.createSession(secretHash(sid), account.name, csrf, Date.now() + sessionMs);
    setCookie(c, SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'Strict', path: '/', secure: options.secureCookies ?? new URL(c.req.url).protocol === 'https:', maxAge: Math.floor(sessionMs / 1000) });
    await options.reviews.audit(account.name, 'auth.login', account.name, ip);
    return { user: { name: account.name, role: account.role }, csrf };
  });

  handle({ method: 'post', path: '/api/auth/logout', tag: 'auth', permission: 'public', summary: 'Sign out (ends the session)', returns: 'ok' }, async (c) => {
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) await options.reviews.deleteSession(secretHash(sid));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  handle({ method: 'get', path: '/api/me', tag: 'auth', permission: 'read', summary: 'The signed-in user, and the CSRF token to send with changes', returns: '{ user, csrf, auth }' }, async (c, user) => ({ user: { name: user.name, role: user.role }, csrf: c.get('csrf'), auth: options.auth }));

  handle({ method: 'get', path: '/api/health', tag: 'admin', permission: 'public', summary: 'Liveness: ok and the version; for admins also uptime, memory and running jobs', returns: '{ ok, version, uptimeS?, memory?, jobs? }' }, async (c) => {
    const user = c.get('user');
    const base = { ok: true, version: VERSION };
    if (!user || user.role !== 'admin') return base;
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
    return { ...base, uptimeS: Math.round(process.uptime()), memory: { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external) }, jobs: service.jobs.runningCount() };
  });

  apiRoutes(handle, service);

  app.get('/api/jobs/:id/events', async (c) => {
    if (!c.get('user')) throw new HttpError('unauthorized', 'Sign in first.');
    const job = service.jobs.get(c.req.param('id'));
    if (!job) throw new HttpError('not_found', `No job "${c.req.param('id')}" (finished jobs are kept for an hour).`);
    return streamSSE(c, async (stream) => {
      let last = 0;
      const wake: { fn?: () => void } = {};
      const listener = () => wake.fn?.();
      job.listeners.add(listener);
      stream.onAbort(() => { job.listeners.delete(listener); wake.fn?.(); });
      try {
        for (let guard = 0; guard < 1_000_000 && !stream.aborted; guard++) {
          while (last < job.events.length) {
            const e = job.events[last++];
            await stream.writeSSE({ event: e.type, data: JSON.stringify(e.data), id: String(last) });
          }
          if (job.finished) break;
          await new Promise<void>((resolve) => { wake.fn = resolve; setTimeout(resolve, 15_000).unref(); });
        }
      } finally { job.listeners.delete(listener); }
    });
  });
  operations.push({ method: 'get', path: '/api/jobs/:id/events', tag: 'jobs', permission: 'read', summary: 'Live progress of a job (server-sent events: progress, note, done, failed)', returns: 'an event stream', stream: true });

  const document = openApiDocument(operations);
  app.get('/api/openapi.json', (c) => c.json(document));
  app.get('/.well-known/openapi.json', (c) => c.json(document));

  app.get('/assets/:name', (c) => serveAsset(c, c.req.param('name')));
  pageRoutes(app, service, { auth: options.auth });
  return { app, service, operations };
}

/** The request's JSON body as an object (an empty body is `{}`); anything else is a clear error. */
export async function json(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new HttpError('invalid_input', `The request body is not a JSON object (${(error as Error).message.slice(0, 200)}).`);
  }
}

function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

function errorPage(status: number, message: string): string {
  const esc = escapeHtml(message);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} · memalign</title><link rel="stylesheet" href="/assets/app.css"></head><body><main class="narrow"><h1>${status}</h1><p class="error">${esc}</p><p><a href="/">Back to the judges</a></p></main></body></html>`;
}
