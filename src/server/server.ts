import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../index.ts';
import { createApp, type AppOptions } from './app.ts';
import type { ReviewService } from './service.ts';

/** Options of `startServer`. */
export interface ServerOptions extends AppOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
}

/** A running review server. */
export interface RunningServer { url: string; port: number; service: ReviewService; close(): Promise<void> }

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Serves the review app and its API over HTTP. Without authentication it binds to loopback only.
 *
 * @example
 * const server = await startServer({ judges: [ma], reviews, auth: true, port: 0 });
 * console.log(server.url);
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!options.auth && !isLoopback(host)) {
    throw new ConfigError(`--no-auth is allowed only on loopback (127.0.0.1, localhost, ::1), not on ${host}: anyone who can reach the server would be an admin. Drop --no-auth and create accounts with "memalign user add".`);
  }
  const { app, service } = createApp(options);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new ConfigError(`Port ${options.port} on ${host} is in use: pick another with --port (or --port 0 for any free one).`) : error));
    server.listen(options.port ?? 8787, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`, port, service,
    close: async () => {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections?.(); });
    },
  };
}
