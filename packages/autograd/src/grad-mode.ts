/** Whether ops record a graph (PyTorch's grad mode): on by default, off inside noGrad. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/**
 * Runs `fn` without recording: results do not require grad, and in-place ops may write leaves that
 * require grad (how optimizers update parameters). Synchronous functions only: the mode is restored
 * when `fn` returns, not when a Promise it returns settles.
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/** Runs `fn` with recording on, also inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
