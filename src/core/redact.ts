// Removes secrets from text before it reaches output, logs or errors.

/** `https://user:token@host/x` → `https://***@host/x`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@')
}

/** Replaces every occurrence of each secret value (and URL credentials) with `***`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = redactUrlCredentials(text)
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***')
  }
  return out
}
