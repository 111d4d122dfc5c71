/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter",
 * 2015): delay = random(0, min(max, base * 2^attempt)). Spreads the reconnect storm of many
 * clients after a server restart. `attempt` counts from 0.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}
