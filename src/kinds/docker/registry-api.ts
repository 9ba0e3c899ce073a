// The few calls of the registry HTTP API v2 a docker source needs (manifest digest, tag list), with token auth.
import {createHash} from 'node:crypto'

import {AuthFailedError, NotFoundError, RemoteUnreachableError} from '../../base/errors.js'
import {assertOk, httpRequest} from '../http.js'
import {registryBaseUrl} from '../../base/image-reference.js'

/**
 * Every manifest type we accept. Without the Docker v2 type, a registry may answer with a legacy schema-1 manifest,
 * whose digest is not the image's digest (Debian's docker-registry does).
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** Parses a `WWW-Authenticate` header (`Bearer realm="…",service="…",scope="…"`). Pure. */
export function parseChallenge(header: string): Challenge {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  const params: Record<string, string> = {}
  if (!match) return {scheme: '', params}
  for (const param of match[2].matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[param[1].toLowerCase()] = param[2] === undefined ? param[3] : param[2].replace(/\\(.)/g, '$1')
  }
  return {scheme: match[1].toLowerCase(), params}
}

export interface RegistryTarget {
  registry: string
  repository: string
  /** From `.dkt/secrets/docker-token`: `USER:PASSWORD` (basic auth, or for the token service), or a bearer token. */
  token?: string
  insecure?: readonly string[]
  signal?: AbortSignal
}

/** Bearer tokens from token services, per registry and scope, for the life of the process (a scheduler polls). */
const bearerTokens = new Map<string, {token: string; expires: number}>()

const TOKEN_HINT = 'set a token with `dkt init --docker-token USER:PASSWORD` (or a registry bearer token)'

function basic(token: string): string {
  return `Basic ${Buffer.from(token).toString('base64')}`
}

/** The Authorization header answering a registry's challenge, asking its token service when it names one. */
async function authorize(target: RegistryTarget, challenge: Challenge, what: string): Promise<string> {
  if (challenge.scheme === 'basic') {
    if (!target.token?.includes(':')) throw new AuthFailedError(`${what} asks for a user name and password; ${TOKEN_HINT}`)
    return basic(target.token)
  }
  if (challenge.scheme !== 'bearer') throw new AuthFailedError(`${what} asks for \`${challenge.scheme}\` authentication, which dkt does not speak`)
  const {realm, service} = challenge.params
  // A token without `:` is a bearer token already; without a realm there is nothing else to try.
  if (!realm || (target.token && !target.token.includes(':'))) {
    if (!target.token) throw new AuthFailedError(`${what} asks for a token; ${TOKEN_HINT}`)
    return `Bearer ${target.token}`
  }
  const scope = challenge.params.scope ?? `repository:${target.repository}:pull`
  const key = `${realm}|${service}|${scope}|${target.token ?? ''}`
  const cached = bearerTokens.get(key)
  if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`
  const url = new URL(realm)
  if (service) url.searchParams.set('service', service)
  url.searchParams.set('scope', scope)
  const response = await httpRequest(url.toString(), `the token service of ${what}`, {
    headers: target.token ? {Authorization: basic(target.token)} : {},
    signal: target.signal,
  })
  assertOk(response, `the token service of ${what}`, {missing: `the token service of ${what} was not found`, token: TOKEN_HINT})
  const body = (await response.json()) as {token?: string; access_token?: string; expires_in?: number}
  const token = body.token ?? body.access_token
  if (!token) throw new AuthFailedError(`the token service of ${what} gave no token; ${TOKEN_HINT}`)
  // Renew a little early: a check must not fail on a token that expires in flight.
  bearerTokens.set(key, {token, expires: Date.now() + Math.max(0, (body.expires_in ?? 60) - 10) * 1000})
  return `Bearer ${token}`
}

/** Authorization per registry+repository once a challenge was answered, so a poll costs one request. */
const knownAuth = new Map<string, string>()

/** A request to the registry API at `path` (after `/v2`), answering an auth challenge once if it gets one. */
async function registryRequest(target: RegistryTarget, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>): Promise<Response> {
  const what = `registry ${target.registry}`
  const url = `${registryBaseUrl(target.registry, target.insecure)}${path}`
  const authKey = `${target.registry}/${target.repository}|${target.token ?? ''}`
  const send = (auth?: string) => httpRequest(url, what, {method, headers: auth ? {...headers, Authorization: auth} : headers, signal: target.signal})
  let response = await send(knownAuth.get(authKey))
  if (response.status === 401) {
    const header = response.headers.get('www-authenticate')
    if (!header) throw new AuthFailedError(`${what} refused the request (401) without saying how to authenticate; ${TOKEN_HINT}`)
    const auth = await authorize(target, parseChallenge(header), what)
    response = await send(auth)
    if (response.ok) knownAuth.set(authKey, auth)
  }
  return response
}

/** Why a manifest is missing: the repository itself, or only that tag (with the tags there are). */
async function explainMissing(target: RegistryTarget, reference: string): Promise<never> {
  const name = `${target.registry}/${target.repository}`
  const tags = await registryRequest(target, 'GET', `/${target.repository}/tags/list`, {Accept: 'application/json'}).catch(() => undefined)
  if (tags?.ok) {
    const list = ((await tags.json()) as {tags?: string[] | null}).tags ?? []
    const shown = list.length > 0 ? `; its tags: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}` : ''
    throw new NotFoundError(`${reference.startsWith('sha256:') ? 'digest' : 'tag'} \`${reference}\` does not exist in ${name}${shown}`)
  }
  throw new NotFoundError(`repository ${name} does not exist (or the token may not read it)`)
}

/**
 * The `sha256:` digest of the manifest that `reference` (a tag or a digest) names: one HEAD request when the
 * registry sends Docker-Content-Digest, else a GET whose body is hashed.
 */
export async function manifestDigest(target: RegistryTarget, reference: string): Promise<string> {
  const what = `registry ${target.registry}`
  const path = `/${target.repository}/manifests/${reference}`
  let response = await registryRequest(target, 'HEAD', path, {Accept: MANIFEST_ACCEPT})
  if (response.status === 404) return explainMissing(target, reference)
  assertOk(response, what, {missing: `${target.registry}/${target.repository}:${reference} does not exist`, token: TOKEN_HINT})
  const digest = response.headers.get('docker-content-digest')
  if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest
  response = await registryRequest(target, 'GET', path, {Accept: MANIFEST_ACCEPT})
  assertOk(response, what, {missing: `${target.registry}/${target.repository}:${reference} does not exist`, token: TOKEN_HINT})
  const body = Buffer.from(await response.arrayBuffer())
  if (body.length === 0) throw new RemoteUnreachableError(`${what} sent an empty manifest for ${target.repository}:${reference}`)
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}
