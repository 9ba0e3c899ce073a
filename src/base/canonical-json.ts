// Canonical JSON: sorted keys, no undefined, 2-space indent and a trailing newline, so `git log -p` stays readable,
// equal data gives equal bytes (and equal IDs), and concurrent edits merge line by line.
export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key]
      if (item !== undefined) out[key] = sortKeys(item)
    }
    return out
  }
  return value
}

/** Pretty canonical form, for files committed in the metadata repository. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`
}

/** Compact canonical form, for hashing and JSON-lines files. */
export function compactJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}
