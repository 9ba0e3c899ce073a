// Exponential backoff for what cannot be reached now (sources, commit statuses). Pure.
/** The delay after `failures` consecutive failures: base × 2^(failures-1), capped. */
export function backoffDelay(failures: number, baseMs: number, capMs: number): number {
  if (failures <= 0) return baseMs
  return Math.min(capMs, baseMs * 2 ** (failures - 1))
}
