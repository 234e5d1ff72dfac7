#!/usr/bin/env node
// Checks the Node version before loading memalign (which needs node:sqlite, Node ≥ 22.13),
// so an old Node gets one clear sentence instead of a module-loading stack trace.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`memalign needs Node.js 22.13 or newer (this is ${process.version}): install a current Node LTS.\n`);
  process.exit(4);
}
// Compiled code is cached on disk (Node's compile cache), so later starts skip parsing memalign's modules.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// A reader that stops early (`memalign … | head`) closes the pipe: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => { if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw error; });
}
const { runCli } = await import('../dist/cli/main.js');
process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(), env: process.env, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s),
  stdin: process.stdin, isTTY: Boolean(process.stderr.isTTY),
});
