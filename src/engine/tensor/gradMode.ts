/** Whether ops record the autograd tape. `noGrad(fn)` runs a synchronous `fn` with recording off. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
