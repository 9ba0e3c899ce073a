// Runs a command in a container of a Docker engine (dockerode), streaming and capturing its output, cancellable.
import {PassThrough} from 'node:stream'

import type Docker from 'dockerode'

import {ContainerFailedError, RemoteUnreachableError} from '../base/errors.js'
import {DOCKER_HUB, type ImageReference, locationOf, parseImageReference} from '../base/image-reference.js'
import type {RunOutcome} from './outcome.js'
import {CommandSupervisor, type SuperviseOptions} from './supervise.js'

export interface ContainerMount {
  /** Folder on the engine's host. */
  source: string
  /** Path inside the container. */
  target: string
  readOnly: boolean
}

export interface ContainerRunOptions extends SuperviseOptions {
  /** Image ID or reference, as resolved by resolveImage (an ID runs exactly the image that was recorded). */
  image: string
  file: string
  args: string[]
  workingDir: string
  /** The container's whole environment (nothing is inherited from this process). */
  env: Record<string, string>
  mounts: ContainerMount[]
  /** Docker network mode (`host`, `bridge`, a network name); none when absent. */
  network?: string
  /** `UID:GID` to run as. */
  user?: string
  labels?: Record<string, string>
}

export interface ResolvedImage {
  /** What to run: the image ID. */
  id: string
  /** What to record: `repo@sha256:…` (a registry digest) when the engine knows one, else the image ID. */
  digest: string
}

export interface PullAuth {
  /** From the docker-token secret: `USER:PASSWORD` or a registry bearer token. */
  token?: string
}

/** The engine, as docker-modem finds it: DOCKER_HOST (unix://, tcp://, with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or the default socket. */
export function engineName(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ? `\`${env.DOCKER_HOST}\`` : 'the default socket (/var/run/docker.sock)'
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])

/** Engine errors carry `statusCode` (an HTTP answer) or `code` (the connection failed). */
type EngineError = Error & {statusCode?: number; code?: string; json?: {message?: string} | string | null}

function engineMessage(error: EngineError): string {
  const json = error.json
  const text = (typeof json === 'object' && json?.message) || (typeof json === 'string' && json) || error.message
  return String(text).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim().split('\n')[0]
}

/** A failed connection (no HTTP answer) becomes RemoteUnreachableError; other errors pass. */
function throwIfUnreachable(error: unknown): void {
  const failure = error as EngineError
  if (failure.statusCode === undefined && failure.code && UNREACHABLE.has(failure.code)) {
    // No `cause`: the code says it all, and the CLI would append the socket's raw message to the sentence.
    throw new RemoteUnreachableError(`cannot reach the Docker engine at ${engineName()} (${failure.code}); start dockerd or point DOCKER_HOST at a running engine`)
  }
}

/** Any other engine error as one sentence (`what` says what was refused); a failed connection stays unreachable. */
function refused(what: string) {
  return (error: unknown): never => {
    throwIfUnreachable(error)
    throw new ContainerFailedError(`${what}: ${engineMessage(error as EngineError)}`)
  }
}

let engineCache: Docker | undefined

/** The engine client, imported lazily (dockerode costs ~90 ms), checked to answer. */
export async function connectEngine(): Promise<Docker> {
  if (engineCache) return engineCache
  const {default: Dockerode} = await import('dockerode')
  let docker: Docker
  try {
    docker = new Dockerode()
  } catch (error) {
    throw new RemoteUnreachableError(`cannot use the Docker engine at ${engineName()}: ${(error as Error).message}`, {cause: error})
  }
  await docker.ping().catch(refused(`the Docker engine at ${engineName()} did not answer`))
  engineCache = docker
  return docker
}

/** A reference parsed by Docker's rules (see kinds/docker/reference.ts), or undefined when it does not parse. */
function parsedReference(ref: string): ImageReference | undefined {
  try {
    return parseImageReference(ref)
  } catch {
    return undefined
  }
}

/** The registry host a reference names; undefined for Docker Hub. */
function registryOf(ref: string): string | undefined {
  const registry = parsedReference(ref)?.registry
  return registry === DOCKER_HUB ? undefined : registry
}

/** `registry/repository` of a reference, normalised (`web` and `docker.io/library/web` are one repository). */
function repositoryOf(ref: string): string | undefined {
  const parsed = parsedReference(ref)
  return parsed && locationOf(parsed)
}

function authConfig(ref: string, auth: PullAuth): Docker.AuthConfig | undefined {
  if (!auth.token) return undefined
  const serveraddress = registryOf(ref) ?? 'https://index.docker.io/v1/'
  const colon = auth.token.indexOf(':')
  if (colon === -1) return {registrytoken: auth.token, serveraddress} as unknown as Docker.AuthConfig
  return {username: auth.token.slice(0, colon), password: auth.token.slice(colon + 1), serveraddress}
}

async function pull(docker: Docker, ref: string, auth: PullAuth, signal?: AbortSignal): Promise<void> {
  const stream = await docker.pull(ref, {authconfig: authConfig(ref, auth), abortSignal: signal})
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{error?: string; errorDetail?: {message?: string}}>) => {
      if (error) return reject(error)
      const failed = output.find((message) => message.error || message.errorDetail)
      if (failed) return reject(new Error(String(failed.errorDetail?.message ?? failed.error)))
      resolve()
    })
  })
}

/**
 * Finds the image on the engine, pulling it when it is missing (as `docker run` does), and tells what to run
 * and what to record.
 */
export async function resolveImage(ref: string, auth: PullAuth = {}, signal?: AbortSignal): Promise<ResolvedImage> {
  const docker = await connectEngine()
  const inspect = () => docker.getImage(ref).inspect()
  let image: Docker.ImageInspectInfo
  try {
    image = await inspect()
  } catch (error) {
    if ((error as EngineError).statusCode !== 404) refused(`the Docker engine at ${engineName()} could not look up image \`${ref}\``)(error)
    try {
      await pull(docker, ref, auth, signal)
      image = await inspect()
    } catch (pullError) {
      throwIfUnreachable(pullError)
      throw new ContainerFailedError(
        `image \`${ref}\` is not on the Docker engine at ${engineName()} and could not be pulled (${engineMessage(pullError as EngineError)}); build or pull it first, or check the name`,
      )
    }
  }
  const repository = repositoryOf(ref)
  const digests = image.RepoDigests ?? []
  const named = ref.includes('@sha256:') ? ref : (digests.find((entry) => repository && repositoryOf(entry) === repository) ?? digests[0])
  return {id: image.Id, digest: named ?? image.Id}
}

/** Creates, runs and removes one container; the outcome has the shape of a local run's (see local.ts). */
export async function runContainer(options: ContainerRunOptions): Promise<RunOutcome> {
  const docker = await connectEngine()
  const supervisor = new CommandSupervisor(options)
  const network = options.network ?? 'none'
  const container = await docker
    .createContainer({
      Image: options.image,
      Cmd: [options.file, ...options.args],
      WorkingDir: options.workingDir,
      Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
      User: options.user,
      Labels: options.labels,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      OpenStdin: false,
      Tty: false,
      NetworkDisabled: network === 'none',
      HostConfig: {
        NetworkMode: network,
        // Mounts, not Binds: a missing source folder is an error instead of a new root-owned folder.
        Mounts: options.mounts.map((mount) => ({Type: 'bind' as const, Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly})),
        // An init process as PID 1 forwards SIGTERM to the command (a bare PID 1 ignores it) and reaps zombies.
        Init: true,
        AutoRemove: false,
      },
    })
    .catch(refused(`the Docker engine at ${engineName()} refused to create the container`))

  try {
    // Attach before start, so that no output is lost.
    const stream = await container.attach({stream: true, stdout: true, stderr: true}).catch(refused('the container could not be attached'))
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    stdout.on('data', supervisor.forward('stdout'))
    stderr.on('data', supervisor.forward('stderr'))
    container.modem.demuxStream(stream, stdout, stderr)
    const streamEnded = new Promise<void>((resolve) => {
      stream.on('end', resolve)
      stream.on('close', resolve)
      stream.on('error', () => resolve())
    })
    try {
      await container.start()
    } catch (error) {
      const failure = error as EngineError
      if (failure.statusCode === undefined) refused('the container could not start')(error)
      return supervisor.failed(`the container could not start: ${engineMessage(failure)}`)
    }
    supervisor.stopOnAbort((signal) => void container.kill({signal}).catch(() => {}))
    const {StatusCode: exitCode} = (await container.wait().catch(refused('waiting for the container failed'))) as {StatusCode: number}
    // The attach stream ends right after the container; bounded, in case the engine never closes it.
    await Promise.race([streamEnded, new Promise((resolve) => setTimeout(resolve, 5000).unref())])
    return supervisor.ended(exitCode, null)
  } finally {
    supervisor.dispose()
    await container.remove({force: true}).catch(() => {})
  }
}
