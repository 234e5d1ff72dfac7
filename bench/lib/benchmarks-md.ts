import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Root of the repository (bench/lib/ → ../..). */
export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Replaces (or appends) the section `<!-- name:start -->…<!-- name:end -->` of BENCHMARKS.md, so
 * each benchmark owns its section and re-running one leaves the others alone.
 *
 * @example
 * writeSection('align', '## Alignment\n| … |');
 */
export function writeSection(name: string, body: string, file = join(ROOT, 'BENCHMARKS.md')): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures measured on the development machine by the scripts named in each section. Re-run a script to refresh its section.\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

/** One line describing the machine and runtime, for every section. */
export function machineLine(): string {
  return `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
