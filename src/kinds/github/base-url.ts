// Where `user/repo` points: GitHub, or GitHub Enterprise / any git server via DKT_GITHUB_URL or `github.url`; and
// where its REST API answers (`github.api-url`, else the one that goes with that server).
export const DEFAULT_GITHUB_URL = 'https://github.com'

export function githubBaseUrl(settings: Record<string, string>): string {
  return process.env.DKT_GITHUB_URL ?? settings['github.url'] ?? DEFAULT_GITHUB_URL
}

const trimmed = (url: string) => url.replace(/\/+$/, '')

/** The REST API: `github.api-url`, else api.github.com for GitHub and `BASE/api/v3` for GitHub Enterprise. */
export function githubApiUrl(settings: Record<string, string>): string {
  const explicit = settings['github.api-url']
  if (explicit) return trimmed(explicit)
  const base = trimmed(githubBaseUrl(settings))
  return base === DEFAULT_GITHUB_URL ? 'https://api.github.com' : `${base}/api/v3`
}

/** The `owner/repo` of a git location on the configured GitHub server (or github.com); undefined elsewhere. */
export function githubRepository(location: string, settings: Record<string, string>): {owner: string; repo: string} | undefined {
  for (const base of new Set([trimmed(githubBaseUrl(settings)), DEFAULT_GITHUB_URL])) {
    if (!location.startsWith(`${base}/`)) continue
    const match = /^([\w.-]+)\/([\w.-]+?)(\.git)?\/?$/.exec(location.slice(base.length + 1))
    if (match) return {owner: match[1], repo: match[2]}
  }
  return undefined
}
