import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';

/**
 * Reads the scalar metadata of a GGUF file (architecture, sizes, name) without loading the model:
 * enough to know an embedder's dimension up front, or to reject a file that is not GGUF with a
 * clear message. Arrays (the vocabulary) are skipped.
 *
 * @example
 * readGgufMetadata('model.gguf')['llama.embedding_length']; // 4096
 */
export function readGgufMetadata(path: string): Record<string, string | number | boolean> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ConfigError(`Cannot open the model file ${path} (${(error as NodeJS.ErrnoException).code}): check the path (MEMALIGN_LOCAL_MODEL or the llama-cpp: model string).`);
  }
  try {
    const r = new Reader(fd);
    if (r.bytes(4).toString('latin1') !== 'GGUF') throw new ConfigError(`${path} is not a GGUF model file (no GGUF header): give the path of a .gguf model.`);
    const version = r.u32();
    if (version < 2) throw new ConfigError(`${path} is GGUF version ${version}; version 2 or newer is needed.`);
    r.u64();
    const count = Number(r.u64());
    const out: Record<string, string | number | boolean> = {};
    for (let i = 0; i < count; i++) {
      const key = r.str();
      const type = r.u32();
      const value = r.value(type);
      if (value !== undefined) out[key] = value;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

class Reader {
  private pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  private readonly fd: number;
  constructor(fd: number) { this.fd = fd; }
  bytes(n: number): Buffer {
    if (this.pos + n > this.bufStart + this.buf.length) {
      const size = Math.max(n, 1 << 20);
      const b = Buffer.alloc(size);
      const read = readSync(this.fd, b, 0, size, this.pos);
      if (read < n) throw new ConfigError('The model file ends early: it is truncated or not a GGUF file.');
      this.buf = b.subarray(0, read);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }
  u32(): number { return this.bytes(4).readUInt32LE(0); }
  u64(): bigint { return this.bytes(8).readBigUInt64LE(0); }
  str(): string { return this.bytes(Number(this.u64())).toString('utf8'); }
  // Types of the GGUF spec: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string, 9 array, 10 u64, 11 i64, 12 f64.
  value(type: number): string | number | boolean | undefined {
    switch (type) {
      case 0: return this.bytes(1).readUInt8(0);
      case 1: return this.bytes(1).readInt8(0);
      case 2: return this.bytes(2).readUInt16LE(0);
      case 3: return this.bytes(2).readInt16LE(0);
      case 4: return this.u32();
      case 5: return this.bytes(4).readInt32LE(0);
      case 6: return this.bytes(4).readFloatLE(0);
      case 7: return this.bytes(1).readUInt8(0) !== 0;
      case 8: return this.str();
      case 10: return Number(this.u64());
      case 11: return Number(this.bytes(8).readBigInt64LE(0));
      case 12: return this.bytes(8).readDoubleLE(0);
      case 9: {
        const itemType = this.u32();
        const n = Number(this.u64());
        for (let i = 0; i < n; i++) this.value(itemType);
        return undefined;
      }
      default: throw new ConfigError(`Unknown GGUF value type ${type}: the file is corrupt or from an unsupported GGUF version.`);
    }
  }
}
