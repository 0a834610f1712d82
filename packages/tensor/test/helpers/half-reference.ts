/**
 * An independent reference for float16/bfloat16, written from the IEEE 754 definitions rather than
 * from the kernel's algorithm (kernels/cpu/half.h):
 *
 * - decode: (-1)^s * 2^(e - bias) * 1.m (normal) or 2^(1 - bias) * 0.m (subnormal), in exact float64
 *   arithmetic (products of small integers and powers of two);
 * - encode: a table of every finite non-negative value in bit order; a value rounds to the nearest
 *   entry, a tie to the entry with an even bit pattern. The entry after the largest finite value is
 *   2^(emax+1), whose pattern is +inf's: so overflow is the IEEE rule with an unbounded exponent.
 *
 * NaN carries no value, so NaN results follow the documented payload rule (half.h) from the input's
 * bits: sign kept, quiet bit set, the top mantissa bits kept (truncated on narrowing, zero-extended on
 * widening).
 */

export type HalfDType = 'float16' | 'bfloat16';

interface Format {
  /** stored mantissa bits */
  m: number;
  bias: number;
  expMask: number;
  manMask: number;
  quiet: number;
  /** table[i] is the value of bit pattern i for i <= inf pattern (table[inf] = 2^(emax+1)) */
  table: Float64Array;
  inf: number;
}

function makeFormat(ebits: number, mbits: number): Format {
  const bias = 2 ** (ebits - 1) - 1;
  const manMask = 2 ** mbits - 1;
  const expMask = (2 ** ebits - 1) * 2 ** mbits;
  const inf = expMask;
  const table = new Float64Array(inf + 1);
  for (let b = 0; b <= inf; b++) {
    const e = Math.floor(b / 2 ** mbits);
    const man = b % 2 ** mbits;
    table[b] = e === 0 ? man * 2 ** (1 - bias - mbits) : (2 ** mbits + man) * 2 ** (e - bias - mbits);
  }
  return { m: mbits, bias, expMask, manMask, quiet: 2 ** (mbits - 1), table, inf };
}

const FORMATS: Record<HalfDType, Format> = { float16: makeFormat(5, 10), bfloat16: makeFormat(8, 7) };

export function isHalfNaN(bits: number, dtype: HalfDType): boolean {
  const f = FORMATS[dtype];
  return (bits & f.expMask) === f.expMask && (bits & f.manMask) !== 0;
}

/** The exact value of a bit pattern (NaN for every NaN pattern). */
export function decodeHalf(bits: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  const mag = bits & 0x7fff;
  const v = mag < f.inf ? f.table[mag]! : mag === f.inf ? Infinity : NaN;
  return bits & 0x8000 ? -v : v;
}

/** Rounds a number (not NaN) to the nearest half, ties to even, overflow to inf. */
export function encodeHalf(x: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  const t = f.table;
  if (!(a < t[f.inf]!)) return sign | f.inf; // also +-Infinity
  // Largest i with t[i] <= a.
  let lo = 0;
  let hi = f.inf;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= a) lo = mid;
    else hi = mid;
  }
  if (t[lo] === a) return sign | lo;
  // Neighbours have at most 12 significant bits: their midpoint is exact in float64.
  const midpoint = (t[lo]! + t[lo + 1]!) / 2;
  const i = a < midpoint ? lo : a > midpoint ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
  return sign | i;
}

/** NaN rule, narrowing: sign, quiet bit, the top mantissa bits of a float32/float64 NaN. */
export function nanFromFloat32Bits(u: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  return ((u >>> 16) & 0x8000) | f.expMask | f.quiet | ((u >>> (23 - f.m)) & f.manMask);
}
/** `hi` is the upper 32 bits of a float64 NaN (the top 20 mantissa bits). */
export function nanFromFloat64High(hi: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  return ((hi >>> 16) & 0x8000) | f.expMask | f.quiet | ((hi >>> (20 - f.m)) & f.manMask);
}

/** NaN rule, widening: the float32 bits a half NaN pattern decodes to. */
export function nanToFloat32Bits(bits: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  return (((bits & 0x8000) << 16) | 0x7fc00000 | ((bits & f.manMask) << (23 - f.m))) >>> 0;
}
/** ... and the upper 32 bits of the float64 one (the lower 32 are zero). */
export function nanToFloat64High(bits: number, dtype: HalfDType): number {
  const f = FORMATS[dtype];
  return (((bits & 0x8000) << 16) | 0x7ff80000 | ((bits & f.manMask) << (20 - f.m))) >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new Uint32Array(f64.buffer); // little-endian: [lo, hi]

/** The half pattern a float32 bit pattern converts to. */
export function halfFromFloat32Bits(u: number, dtype: HalfDType): number {
  if ((u & 0x7fffffff) > 0x7f800000) return nanFromFloat32Bits(u, dtype);
  u32[0] = u;
  return encodeHalf(f32[0]!, dtype);
}

/** Encodes every element; NaN payloads come from the raw bits, so NaNs must not pass through a JS number. */
export function encodeFloat32Array(src: Float32Array, dtype: HalfDType): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const u = bits[i]!;
    out[i] = (u & 0x7fffffff) > 0x7f800000 ? nanFromFloat32Bits(u, dtype) : encodeHalf(src[i]!, dtype);
  }
  return out;
}

export function encodeFloat64Array(src: Float64Array, dtype: HalfDType): Uint16Array {
  const words = new Uint32Array(src.buffer, src.byteOffset, src.length * 2);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    out[i] = Number.isNaN(x) ? nanFromFloat64High(words[2 * i + 1]!, dtype) : encodeHalf(x, dtype);
  }
  return out;
}

/** The float32 bits of every half pattern 0..65535, decoded. */
export function decodeAllToFloat32Bits(dtype: HalfDType): Uint32Array {
  const out = new Uint32Array(65536);
  for (let b = 0; b < 65536; b++) {
    if (isHalfNaN(b, dtype)) {
      out[b] = nanToFloat32Bits(b, dtype);
    } else {
      f32[0] = decodeHalf(b, dtype);
      out[b] = u32[0]!;
    }
  }
  return out;
}

/** The float64 bits of every half pattern, as [lo, hi] word pairs. */
export function decodeAllToFloat64Words(dtype: HalfDType): Uint32Array {
  const out = new Uint32Array(2 * 65536);
  for (let b = 0; b < 65536; b++) {
    if (isHalfNaN(b, dtype)) {
      out[2 * b] = 0;
      out[2 * b + 1] = nanToFloat64High(b, dtype);
    } else {
      f64[0] = decodeHalf(b, dtype);
      out[2 * b] = u64[0]!;
      out[2 * b + 1] = u64[1]!;
    }
  }
  return out;
}
