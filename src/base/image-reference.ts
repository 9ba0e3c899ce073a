// Pure parsing of image references (`team/web:tag`, `127.0.0.1:5000/team/web`, `docker://…`), by Docker's rules.
import {InvalidArgumentError} from './errors.js'

/** Docker Hub's name in references, and the host its registry API really answers on. */
export const DOCKER_HUB = 'docker.io'
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'
export const DEFAULT_TAG = 'latest'

export interface ImageReference {
  /** `host[:port]`, `docker.io` for Docker Hub. */
  registry: string
  /** The repository path on that registry (`team/web`; `library/web` for official Docker Hub images). */
  repository: string
  tag?: string
  /** `sha256:…` when the reference names a digest (`repo@sha256:…`). */
  digest?: string
}

// The grammar of github.com/distribution/reference, reduced to what a location needs.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[0-9a-f]{64}$/

/** Whether the first path component names a registry host rather than a user (Docker's rule). */
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost'
}

/** Parses an image reference; throws one sentence saying what is wrong. Pure. */
export function parseImageReference(text: string): ImageReference {
  const input = text.replace(/^docker:\/\//, '')
  const bad = (why: string) => new InvalidArgumentError(`\`${text}\` is not a valid image reference: ${why}`)
  if (input === '') throw bad('it is empty')
  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw bad('the digest after `@` must be sha256: and 64 hex digits')
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw bad(`\`${tag}\` is not a valid tag`)
  }
  const parts = rest.split('/')
  let registry = DOCKER_HUB
  if (parts.length > 1 && isRegistryHost(parts[0])) registry = parts.shift() as string
  if (parts.length === 0 || parts.some((part) => !COMPONENT.test(part))) {
    throw bad('repository names use lowercase letters, digits and separators (`.`, `_`, `-`), split by `/`')
  }
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry) && registry !== DOCKER_HUB) throw bad(`\`${registry}\` is not a registry host`)
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  return {registry, repository: parts.join('/'), tag, digest}
}

/** The stored location of a source: `registry/repository`, without tag or digest. Pure. */
export function locationOf(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`
}

/** `registry/repository@sha256:…`: what the IMAGE field and a container engine take. Pure. */
export function pinnedImage(location: string, digest: string): string {
  return `${location}@${digest}`
}

/**
 * The base URL of a registry's HTTP API v2. Loopback registries (and those listed in the `docker.insecure`
 * setting) speak plain http, as the Docker engine assumes; every other registry https.
 */
export function registryBaseUrl(registry: string, insecure: readonly string[] = []): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry
  const hostname = host.replace(/:\d+$/, '')
  const plain = hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]' || insecure.includes(host) || insecure.includes(hostname)
  return `${plain ? 'http' : 'https'}://${host}/v2`
}
