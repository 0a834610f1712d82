import { MAX_KERNEL_TENSORS, recordOp } from '../engine';
import { ArgumentError } from '../errors';
import { Tensor } from '../tensor';
import { checkFloatArg, checkShapeOf, runInto } from './nn-args';

/**
 * The loss scaler's fused pass: destinations[i] = sources[i] * invScale (computed in float32, or
 * float64 for float64 tensors, rounded once to the destination's dtype) and, in the same read, whether
 * the unscaled values of pair i hold an inf or NaN. Returns one flag per pair (true = overflow). A
 * destination may be its source (unscale in place). Up to 31 pairs go to the kernel in one call.
 */
export function unscaleAndCheck(
  sources: readonly Tensor[],
  destinations: readonly Tensor[],
  invScale: number,
): boolean[] {
  const op = 'unscale_check';
  if (!Array.isArray(sources)) throw new ArgumentError(op, 'sources', 'an array of tensors', sources);
  if (!Array.isArray(destinations) || destinations.length !== sources.length) {
    throw new ArgumentError(op, 'destinations', `an array of ${sources.length} tensors`, destinations);
  }
  if (typeof invScale !== 'number' || !(invScale > 0) || !Number.isFinite(invScale)) {
    throw new ArgumentError(op, 'invScale', 'a finite number > 0', invScale);
  }
  sources.forEach((s, i) => {
    checkFloatArg(op, `sources[${i}]`, s);
    checkFloatArg(op, `destinations[${i}]`, destinations[i]);
    checkShapeOf(op, `destinations[${i}]`, destinations[i]!, s.shape);
  });
  const perCall = (MAX_KERNEL_TENSORS - 1) >> 1;
  const flags: boolean[] = [];
  for (let start = 0; start < sources.length; start += perCall) {
    const src = sources.slice(start, start + perCall);
    const dst = destinations.slice(start, start + perCall);
    // On the sources' device: the flags are read back once per call, not once per tensor.
    const found = Tensor.empty([src.length], 'int32', src[0]!.device);
    try {
      runInto(op, [...src, ...dst], [found], [invScale]);
      for (const f of found.data()) flags.push(f !== 0);
    } finally {
      found.dispose();
    }
  }
  recordOp(op, [...sources, ...destinations], [...destinations], { invScale });
  return flags;
}
