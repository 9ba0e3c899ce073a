// Removes secrets from text before it reaches output, logs or errors.

/** `https://user:token@host/x` → `https://***@host/x`. */
export function redactUrlCredentials(text: string): string {
  // Bounded quantifiers keep this linear on long runs of letters (a run's output can be a megabyte of `x`).
  return text.replace(/\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^/@\s]{1,256}@/gi, '$1***@')
}

/** Replaces every occurrence of each secret value (and URL credentials) with `***`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = redactUrlCredentials(text)
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***')
  }
  return out
}
