import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file so that readers see the old or the new content, never a half-written one.
 *
 * @example
 * writeAtomic('memory.json', text);
 */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
