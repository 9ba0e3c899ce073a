// GitHub's commit statuses API (`POST /repos/{owner}/{repo}/statuses/{sha}`), and what its answer means for a retry:
// rate limits say when to come back, other failures are retried with backoff, a refused status is given up.
export type CommitState = 'pending' | 'success' | 'failure' | 'error'

export interface CommitStatus {
  state: CommitState
  /** Which check this is on the commit: a later status with the same context replaces it on GitHub. */
  context: string
  description: string
  targetUrl?: string
}

export interface StatusTarget {
  /** The REST API's base URL (https://api.github.com, or GitHub Enterprise's BASE/api/v3). */
  apiBase: string
  owner: string
  repo: string
  sha: string
}

export type Delivery =
  | {delivered: true}
  /** `retryAt` (ms since the epoch): a rate limit says when; `giveUp`: the same request can never succeed. */
  | {delivered: false; message: string; retryAt?: number; giveUp?: boolean}

/** GitHub truncates nothing: a description over 140 characters is refused (422). */
const DESCRIPTION_LIMIT = 140
const TIMEOUT_MS = 10_000

/** `signal`: the caller gives up (a scheduler that exits); the request is then an attempt that failed. */
export async function postCommitStatus(target: StatusTarget, status: CommitStatus, token: string, signal?: AbortSignal): Promise<Delivery> {
  const url = `${target.apiBase}/repos/${encodeURIComponent(target.owner)}/${encodeURIComponent(target.repo)}/statuses/${target.sha}`
  const body = {
    state: status.state,
    context: status.context,
    description: status.description.slice(0, DESCRIPTION_LIMIT),
    ...(status.targetUrl ? {target_url: status.targetUrl} : {}),
  }
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'user-agent': 'dkt',
        'x-github-api-version': '2022-11-28',
      },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (error) {
    const cause = (error as Error & {cause?: Error}).cause?.message ?? (error as Error).message
    return {delivered: false, message: `${target.apiBase} cannot be reached (${cause})`}
  }
  if (response.ok) {
    await response.body?.cancel()
    return {delivered: true}
  }
  return refusal(response, await response.text().catch(() => ''))
}

/** What an answer other than 2xx means, in one sentence, and when (or whether) to try again. */
function refusal(response: Response, text: string): Delivery {
  const said = githubMessage(text)
  const answer = `GitHub answered ${response.status}${said ? ` (${said})` : ''}`
  const retryAfter = Number(response.headers.get('retry-after'))
  const reset = Number(response.headers.get('x-ratelimit-reset'))
  if (response.headers.get('x-ratelimit-remaining') === '0' && reset > 0) return {delivered: false, message: `${answer}: rate limit reached`, retryAt: reset * 1000}
  if ((response.status === 429 || response.status === 403) && retryAfter > 0) return {delivered: false, message: `${answer}: rate limited`, retryAt: Date.now() + retryAfter * 1000}
  if (response.status === 401) return {delivered: false, message: `${answer}: the GitHub token was refused; fix .dkt/secrets/github-token`}
  // A missing repository or commit, or a status GitHub rejects as invalid: the same request will never succeed.
  if ([400, 404, 410, 422].includes(response.status)) return {delivered: false, message: answer, giveUp: true}
  return {delivered: false, message: answer}
}

function githubMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as {message?: unknown}).message
    return typeof message === 'string' ? message.split('\n')[0].slice(0, 200) : undefined
  } catch {
    return undefined
  }
}
