/**
 * Input sets for the cast tests, built from bit patterns (never from JS numbers, which may lose NaN
 * payloads) and a seeded generator, so every run and every child process sees the same values.
 */

/** mulberry32: a small seeded 32-bit generator. */
export function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** float32 bits of special values: +-0, +-inf, NaNs with assorted payloads, float32 extremes. */
export const SPECIAL_BITS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fa00000,
  0x7fbfffff, 0xffffffff, 0x7fc02000, 0x7f802000, 0xff801fff, 0x7fe00000, 0x7f7fffff, 0xff7fffff, 0x00800000,
  0x00000001, 0x80000001, 0x007fffff, 0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0xc77ff000,
  0x33000000, 0x33000001, 0x337fffff, 0x33800000, 0x33c00000, 0x387fc000, 0x387fe000, 0x387fdfff, 0x38800000,
  0x3f800000, 0x3f801000, 0x3f803000, 0x3f808000, 0x3f818000, 0x7f7f8000, 0x7f7f7fff, 0x00008000, 0x00018000,
];

/**
 * For every pair of adjacent finite non-negative halves (the last one paired with 2^(emax+1)), the
 * float32 bits of their midpoint and of the float32 values one ulp below and above it, both signs.
 * `value(i)` is the value of half pattern i.
 */
function boundaryBits(
  count: number,
  value: (i: number) => number,
  top: number,
  out: Uint32Array,
  at: number,
): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < count; i++) {
    const hi = i + 1 < count ? value(i + 1) : top;
    f[0] = (value(i) + hi) / 2; // exact: at most 12 significant bits
    const m = u[0]!;
    for (const b of [m - 1, m, m + 1]) {
      out[at++] = b >>> 0;
      out[at++] = (b | 0x80000000) >>> 0;
    }
  }
  return at;
}

/** Midpoint boundaries of both half formats, specials, then seeded random patterns up to `total`. */
export function encodeInputs(
  total: number,
  decode: (bits: number, dtype: 'float16' | 'bfloat16') => number,
): Float32Array {
  const bits = new Uint32Array(total);
  let at = 0;
  for (const b of SPECIAL_BITS) bits[at++] = b;
  at = boundaryBits(0x7c00, (i) => decode(i, 'float16'), 65536, bits, at);
  at = boundaryBits(0x7f80, (i) => decode(i, 'bfloat16'), 2 ** 128, bits, at);
  const next = rng32(0xc0ffee);
  for (; at < total; at++) {
    const r = next();
    // Two thirds uniform over all patterns; one third with exponents where float16 rounds (2^-26..2^16).
    bits[at] = at % 3 !== 0 ? r : ((r & 0x807fffff) | ((101 + (r % 43)) << 23)) >>> 0;
  }
  return new Float32Array(bits.buffer);
}
