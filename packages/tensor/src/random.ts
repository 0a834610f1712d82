import { ArgumentError } from './errors';

/**
 * The global generator: a seed plus the count of Philox blocks consumed. Kernels draw from
 * (seed, offset, element index), so results depend only on the seed and the sequence of calls.
 */
const DEFAULT_SEED = 67280421310721; // PyTorch's default seed: deterministic until reseeded

let seed = DEFAULT_SEED;
let offset = 0;

/** Seeds the global generator (like torch.manual_seed). */
export function manualSeed(value: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError('manualSeed', 'seed', 'a non-negative safe integer', value);
  }
  seed = value;
  offset = 0;
}

export function initialSeed(): number {
  return seed;
}

/** @internal Reserves `blocks` Philox blocks and returns [seed, offset] for the kernel. */
export function reserve(blocks: number): [number, number] {
  const start = offset;
  offset += blocks;
  return [seed, start];
}

/** The generator state, to save and restore (e.g. in a checkpoint). */
export function getRngState(): { seed: number; offset: number } {
  return { seed, offset };
}

export function setRngState(state: { seed: number; offset: number }): void {
  manualSeed(state.seed);
  if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
    throw new ArgumentError('setRngState', 'offset', 'a non-negative safe integer', state.offset);
  }
  offset = state.offset;
}
