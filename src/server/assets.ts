import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Context } from 'hono';

// The app's own files (no CDN): beside this module in src/, or in src/ beside dist/ when built.
const here = dirname(fileURLToPath(import.meta.url));
const folder = [join(here, 'assets'), join(here, '..', '..', 'src', 'server', 'assets')].find((d) => existsSync(join(d, 'app.js')))!;
const TYPES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8', 'favicon.svg': 'image/svg+xml' };
const cache = new Map<string, Buffer>();

export function serveAsset(c: Context, name: string): Response {
  const type = TYPES[name];
  if (!type) return c.text('Not found', 404);
  let body = cache.get(name);
  if (!body) { body = readFileSync(join(folder, name)); cache.set(name, body); }
  return new Response(new Uint8Array(body), { headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=300' } });
}
