// HTTP for the remote kinds (docker registry, hockeyapp): bounded in time, and every failure is one typed sentence.
import {AuthFailedError, NotFoundError, RemoteUnreachableError} from '../base/errors.js'

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000

export interface HttpRequest {
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
  signal?: AbortSignal
  timeoutMs?: number
}

/** A network error code in a few words (`connection refused`), for every remote kind's one-sentence errors. */
export const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  TimeoutError: 'no answer in time',
  RequestTimeout: 'no answer in time',
}

/** The cause of a failed `fetch` in a few words (`connection refused`), not undici's "fetch failed". */
function networkReason(error: unknown): string {
  const cause = (error as {cause?: {code?: string; message?: string}})?.cause
  return NETWORK_REASONS[cause?.code ?? ''] ?? cause?.message ?? (error as Error)?.message ?? String(error)
}

/**
 * `fetch`, bounded by a timeout and the caller's signal. A network failure becomes RemoteUnreachableError naming
 * `what` (e.g. "registry 127.0.0.1:5000"); HTTP statuses are returned as they are, for `assertOk`.
 */
export async function httpRequest(url: string, what: string, request: HttpRequest = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(request.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS)
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout
  try {
    return await fetch(url, {method: request.method ?? 'GET', headers: request.headers, signal, redirect: 'follow'})
  } catch (error) {
    if (request.signal?.aborted) throw error
    const reason = timeout.aborted ? `no answer within ${Math.round((request.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS) / 1000)} s` : networkReason(error)
    throw new RemoteUnreachableError(`cannot reach ${what}: ${reason}`, {data: {url: redactUrl(url)}})
  }
}

/**
 * Turns an HTTP error status into one sentence: 401/403 → AuthFailedError (naming the token to fix), 404 →
 * NotFoundError (`missing` says what is missing), anything else → RemoteUnreachableError. The body is discarded.
 */
export function assertOk(response: Response, what: string, hints: {missing: string; token: string}): void {
  if (response.ok) return
  // Nobody reads an error's body: release the connection instead of leaving it to the garbage collector.
  void response.body?.cancel().catch(() => {})
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  if (response.status === 401 || response.status === 403) {
    throw new AuthFailedError(`${what} refused the credentials (${status}); ${hints.token}`, {data: {status: response.status}})
  }
  if (response.status === 404) throw new NotFoundError(`${hints.missing} (${what} answered ${status})`, {status: response.status})
  throw new RemoteUnreachableError(`${what} answered ${status}`, {data: {status: response.status}})
}

/** A URL without its user-info and query string, safe to keep in error data. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    return parsed.toString()
  } catch {
    return '<url>'
  }
}
