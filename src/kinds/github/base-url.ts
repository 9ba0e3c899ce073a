// Where `user/repo` points: GitHub, or GitHub Enterprise / any git server via DKT_GITHUB_URL or `github.url`.
export const DEFAULT_GITHUB_URL = 'https://github.com'

export function githubBaseUrl(settings: Record<string, string>): string {
  return process.env.DKT_GITHUB_URL ?? settings['github.url'] ?? DEFAULT_GITHUB_URL
}
