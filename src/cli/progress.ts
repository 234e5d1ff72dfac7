import cliProgress from 'cli-progress';

/** A progress display: a bar with rate and ETA on a terminal, plain periodic lines otherwise. */
export interface Progress { tick(extra?: string): void; stop(): void }

/**
 * Starts a progress display on stderr.
 *
 * @example
 * const p = startProgress('Judging', 120, { isTTY: process.stderr.isTTY, write }); p.tick(); p.stop();
 */
export function startProgress(label: string, total: number, options: { isTTY: boolean; write: (s: string) => void; enabled: boolean; now?: () => number }): Progress {
  if (!options.enabled || total === 0) return { tick() {}, stop() {} };
  if (options.isTTY) {
    const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {extra}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    const started = Date.now();
    let done = 0;
    bar.start(total, 0, { rate: '0.0', extra: '' });
    return {
      tick(extra = '') { done += 1; bar.update(done, { rate: (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1), extra }); },
      stop() { bar.stop(); },
    };
  }
  // Not a terminal: a line every 10 % (and at the end), with rate and ETA.
  const now = options.now ?? Date.now;
  const started = now();
  let done = 0;
  let lastDecile = 0;
  return {
    tick() {
      done += 1;
      const decile = Math.floor((done / total) * 10);
      if (decile > lastDecile || done === total) {
        lastDecile = decile;
        const secs = Math.max(0.001, (now() - started) / 1000);
        const rate = done / secs;
        options.write(`${label}: ${done}/${total} (${Math.round((done / total) * 100)}%), ${rate.toFixed(1)}/s, ETA ${Math.max(0, Math.round((total - done) / rate))} s\n`);
      }
    },
    stop() {},
  };
}
