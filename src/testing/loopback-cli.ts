#!/usr/bin/env node
// Runs the loopback OpenAI-compatible server until interrupted, for demos and end-to-end tests:
//   npx node src/testing/loopback-cli.ts --port 8787 --latency-ms 200 [--embedding-ms 200] [--embed-threads 2]
// It prints its base URL; GET /__loopback/requests and POST /__loopback/reset read and clear its
// request log (timings only).
import { parseArgs } from 'node:util';
import { startLoopbackServer } from './loopback-server.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'latency-ms': { type: 'string', default: '0' }, 'per-token-ms': { type: 'string', default: '0' }, 'embedding-ms': { type: 'string', default: '0' }, 'embed-threads': { type: 'string', default: '0' } } });
const server = await startLoopbackServer({ port: Number(values.port), latency: { fixedMs: Number(values['latency-ms']), perOutputTokenMs: Number(values['per-token-ms']), embeddingMs: Number(values['embedding-ms']) }, embedThreads: Number(values['embed-threads']) });
process.stdout.write(`${server.url}\n`);
const stop = () => { void server.close().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
