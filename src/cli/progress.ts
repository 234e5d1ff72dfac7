import { createRequire } from 'node:module';

/** A progress display: a bar with rate and ETA on a terminal, plain periodic lines otherwise. */
export interface Progress {
  /** One unit done; `ms` is how long it took (a model call's latency), for the ETA. */
  tick(ms?: number): void;
  stop(): void;
}

/** Options of `startProgress`. */
export interface ProgressOptions {
  isTTY: boolean;
  write: (s: string) => void;
  enabled: boolean;
  /** Units worked on at once (concurrency); the ETA counts rounds of this many. */
  parallel?: number;
  now?: () => number;
}

/**
 * Remaining time for work done `parallel` units at a time: the rounds left times the mean time of
 * one unit. Unlike elapsed/done extrapolation, it does not jump when the first of a round of
 * parallel calls finishes. Undefined until a unit has finished.
 *
 * @example
 * etaSeconds({ done: 1, total: 20, parallel: 8, meanMs: 1000 }); // 3
 */
export function etaSeconds(p: { done: number; total: number; parallel: number; meanMs: number | undefined }): number | undefined {
  if (p.meanMs === undefined || p.done === 0) return undefined;
  return (Math.ceil(Math.max(0, p.total - p.done) / Math.max(1, p.parallel)) * p.meanMs) / 1000;
}

const clock = (s: number | undefined) => (s === undefined ? '…' : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/**
 * Starts a progress display on stderr, shown from the first call (0 of n) with a stable ETA.
 *
 * @example
 * const p = startProgress('Judging', 120, { isTTY: process.stderr.isTTY, write, enabled: true, parallel: 8 }); p.tick(850); p.stop();
 */
export function startProgress(label: string, total: number, options: ProgressOptions): Progress {
  if (!options.enabled || total === 0) return { tick() {}, stop() {} };
  const now = options.now ?? Date.now;
  const parallel = options.parallel ?? 1;
  const started = now();
  let done = 0;
  let timed = 0;
  let sumMs = 0;
  const state = () => {
    const secs = Math.max(0.001, (now() - started) / 1000);
    // Without per-unit times, a unit's time is what the elapsed time says (per round of `parallel`).
    const meanMs = timed > 0 ? sumMs / timed : done > 0 ? (secs * 1000) / Math.ceil(done / parallel) : undefined;
    return { rate: done / secs, eta: etaSeconds({ done, total, parallel, meanMs }) };
  };
  const record = (ms?: number) => { done += 1; if (ms !== undefined && Number.isFinite(ms)) { timed += 1; sumMs += ms; } };
  if (options.isTTY) {
    // cli-progress only loads when a bar is drawn.
    const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { rate: '0.0', eta: '…' });
    return {
      tick(ms) { record(ms); const s = state(); bar.update(done, { rate: s.rate.toFixed(1), eta: clock(s.eta) }); },
      stop() { bar.stop(); },
    };
  }
  // Not a terminal: a line at the start, then every 10 % (and at the end), with rate and ETA.
  options.write(`${label}: 0/${total}${parallel > 1 ? ` (${parallel} at a time)` : ''}\n`);
  let lastDecile = 0;
  return {
    tick(ms) {
      record(ms);
      const decile = Math.floor((done / total) * 10);
      if (decile > lastDecile || done === total) {
        lastDecile = decile;
        const s = state();
        options.write(`${label}: ${done}/${total} (${Math.round((done / total) * 100)}%), ${s.rate.toFixed(1)}/s, ETA ${clock(s.eta)}\n`);
      }
    },
    stop() {},
  };
}
