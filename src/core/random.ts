/**
 * A small seeded PRNG (mulberry32): the same seed always gives the same sequence, so splits,
 * A/B orders and generated test models are reproducible.
 *
 * @example
 * const random = seeded(1); random(); // 0.6270739405881613
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
