// Preloaded into a measured process (node --import): at exit, writes the process's peak resident
// memory in KB to the file named by MEMALIGN_RSS_PROBE. On Linux it reads VmHWM (reset by exec);
// rusage's maxRSS can carry the spawning parent's peak over into the child.
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.MEMALIGN_RSS_PROBE;
if (target) {
  process.on('exit', () => {
    let kb = process.resourceUsage().maxRSS;
    try { kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? kb); } catch { /* not Linux */ }
    writeFileSync(target, String(kb));
  });
}
