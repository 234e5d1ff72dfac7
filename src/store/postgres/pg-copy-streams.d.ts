// The one function memalign uses from pg-copy-streams (which ships no types).
declare module 'pg-copy-streams' {
  import type { Readable } from 'node:stream';
  import type { Submittable } from 'pg';
  /** A `COPY … TO STDOUT` query: pass it to `client.query`, read the bytes from the stream. */
  export function to(text: string): Readable & Submittable;
}
