/**
 * Rejects with `message` if `promise` has not settled within `ms`. The timer is deliberately not
 * unref'd: a caller waiting on a promise that holds no handles (a hung closer, a stuck readiness
 * check) must still get its answer instead of the process exiting under it.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  message = `timed out after ${ms} ms`,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
