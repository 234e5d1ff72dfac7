import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { seeded } from '../core/random.ts';

/** Shape of the generated model. Defaults give a ~1 MB file that loads in well under a second. */
export interface TinyGgufOptions { seed?: number; nLayers?: number; nEmbd?: number; nHead?: number; nFf?: number; contextLength?: number }

// GGUF v3 value types and ggml tensor types (from the GGUF specification).
const T = { U32: 4, I32: 5, F32: 6, STRING: 8, ARRAY: 9 } as const;
const GGML_F32 = 0;
const ALIGN = 32;

/**
 * Writes a tiny llama-architecture GGUF model with seeded random weights and a complete SPM
 * vocabulary (special tokens, all 256 byte tokens, printable ASCII), so any text tokenizes and
 * JSON can be generated. It knows nothing: it exists so tests can run the real llama.cpp engine
 * (through node-llama-cpp) where no model weights can be downloaded.
 *
 * @example
 * const path = writeTinyGguf('/tmp/tiny.gguf', { seed: 1 });
 */
export function writeTinyGguf(path: string, options: TinyGgufOptions = {}): string {
  const nLayers = options.nLayers ?? 2;
  const nEmbd = options.nEmbd ?? 64;
  const nHead = options.nHead ?? 4;
  const nFf = options.nFf ?? 128;
  const random = seeded(options.seed ?? 42);

  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256; b++) { tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`); types.push(6); }
  tokens.push('\u2581'); types.push(1);
  for (let c = 33; c < 127; c++) { tokens.push(String.fromCharCode(c)); types.push(1); }
  const nVocab = tokens.length;
  const scores = tokens.map((_, i) => (types[i] === 1 ? -i / 100 : 0));

  const kv: [string, number, unknown][] = [
    ['general.architecture', T.STRING, 'llama'],
    ['general.name', T.STRING, 'memalign-tiny-random'],
    ['llama.context_length', T.U32, options.contextLength ?? 2048],
    ['llama.embedding_length', T.U32, nEmbd],
    ['llama.block_count', T.U32, nLayers],
    ['llama.feed_forward_length', T.U32, nFf],
    ['llama.attention.head_count', T.U32, nHead],
    ['llama.attention.head_count_kv', T.U32, nHead],
    ['llama.attention.layer_norm_rms_epsilon', T.F32, 1e-5],
    ['llama.rope.dimension_count', T.U32, nEmbd / nHead],
    ['llama.vocab_size', T.U32, nVocab],
    ['general.alignment', T.U32, ALIGN],
    ['tokenizer.ggml.model', T.STRING, 'llama'],
    ['tokenizer.ggml.tokens', T.ARRAY, [T.STRING, tokens]],
    ['tokenizer.ggml.scores', T.ARRAY, [T.F32, scores]],
    ['tokenizer.ggml.token_type', T.ARRAY, [T.I32, types]],
    ['tokenizer.ggml.unknown_token_id', T.U32, 0],
    ['tokenizer.ggml.bos_token_id', T.U32, 1],
    ['tokenizer.ggml.eos_token_id', T.U32, 2],
  ];

  // Shapes are [ne0, ne1]: ne0 is the contiguous (input) dimension, as ggml stores them.
  const tensors: { name: string; dims: number[]; scale: number }[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], scale: 0.5 },
    { name: 'output_norm.weight', dims: [nEmbd], scale: 0 },
    { name: 'output.weight', dims: [nEmbd, nVocab], scale: 0.5 },
  ];
  for (let i = 0; i < nLayers; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], scale: 0 },
      { name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd], scale: 0.1 },
      { name: `blk.${i}.attn_k.weight`, dims: [nEmbd, nEmbd], scale: 0.1 },
      { name: `blk.${i}.attn_v.weight`, dims: [nEmbd, nEmbd], scale: 0.1 },
      { name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd], scale: 0.1 },
      { name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], scale: 0 },
      { name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf], scale: 0.1 },
      { name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf], scale: 0.1 },
      { name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd], scale: 0.1 },
    );
  }

  const w = new Writer();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, type, value] of kv) { w.str(key); w.u32(type); w.value(type, value); }
  let offset = 0;
  const data: Float32Array[] = [];
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_F32);
    w.u64(offset);
    const n = t.dims.reduce((a, b) => a * b, 1);
    // Norm weights are 1 (scale 0 means "ones"); the rest small random values.
    data.push(Float32Array.from({ length: n }, () => (t.scale === 0 ? 1 : (random() * 2 - 1) * t.scale)));
    offset += align(n * 4);
  }
  w.pad();
  for (const d of data) { w.bytes(new Uint8Array(d.buffer)); w.pad(); }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, w.done());
  return path;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;
  bytes(b: Uint8Array): void { this.chunks.push(b); this.length += b.length; }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.bytes(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.bytes(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.bytes(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.bytes(b); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  value(type: number, v: unknown): void {
    if (type === T.STRING) this.str(v as string);
    else if (type === T.U32) this.u32(v as number);
    else if (type === T.I32) this.i32(v as number);
    else if (type === T.F32) this.f32(v as number);
    else if (type === T.ARRAY) {
      const [itemType, items] = v as [number, unknown[]];
      this.u32(itemType);
      this.u64(items.length);
      for (const item of items) this.value(itemType, item);
    }
  }
  pad(): void { const rest = align(this.length) - this.length; if (rest > 0) this.bytes(new Uint8Array(rest)); }
  done(): Buffer { return Buffer.concat(this.chunks); }
}
