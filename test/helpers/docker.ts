// A private dockerd and a real Debian docker-registry for tests; busybox images built locally (there is no internet).
import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {freePort, waitFor} from './git-daemon.js'

import type Docker from 'dockerode'

export interface Dockerd {
  /** Path of the engine's unix socket. */
  socket: string
  /** `unix:///…`, for DOCKER_HOST. */
  host: string
  /** Folder holding the socket, data and logs (removed by stop). */
  dir: string
  /** A dockerode client for this engine. */
  client(): Promise<Docker>
  stop(): Promise<void>
}

export interface Registry {
  port: number
  /** `127.0.0.1:PORT` */
  host: string
  /** Set when the registry was started with basic auth. */
  auth?: {username: string; password: string}
  stop(): Promise<void>
}

const BUSYBOX = '/bin/busybox'

/** Whether this machine can run the Docker tests (root, dockerd, busybox-static, docker-registry). */
export function dockerAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/dockerd') && existsSync(BUSYBOX)
}

/** A short temp folder: unix socket paths are limited to ~107 bytes, so the OS tmpdir of a test runner may be too long. */
function shortTempDir(prefix: string): string {
  return mkdtempSync(path.join('/tmp', prefix))
}

function readPid(pidfile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidfile, 'utf8').trim(), 10)
    return Number.isFinite(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Stops a `setsid timeout N server` child: SIGTERM to the server's PID, wait (bounded), then SIGKILL the group. */
async function stopChild(child: ChildProcess, serverPid: number | undefined, what: string, timeoutMs = 30_000): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    process.kill(serverPid ?? -child.pid, 'SIGTERM')
  } catch {
    // already gone
  }
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), timeoutMs).unref())
  if ((await Promise.race([exited, timer])) === 'late') {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
    await exited
    throw new Error(`${what} did not stop within ${timeoutMs} ms of SIGTERM; killed`)
  }
}

async function loadDockerode(): Promise<typeof Docker> {
  return (await import('dockerode')).default
}

/** Unmounts what an engine left mounted under its folder (the host netns bind under exec/netns), deepest first. */
function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point): point is string => Boolean(point) && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length)
  for (const point of points) spawnSync('umount', ['-l', point], {stdio: 'ignore'})
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = shortTempDir('dkd-')
  const socket = path.join(dir, 'd.sock')
  const pidfile = path.join(dir, 'd.pid')
  const log = openSync(path.join(dir, 'dockerd.log'), 'a')
  // `timeout` bounds the engine's life even if this test process dies without stopping it.
  const child = spawn(
    'timeout',
    ['900', 'dockerd', '--host', `unix://${socket}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
      '--pidfile', pidfile, '--bridge', 'none', '--iptables=false', '--ip-masq=false'],
    {stdio: ['ignore', log, log], detached: true},
  )
  const Dockerode = await loadDockerode()
  const docker = new Dockerode({socketPath: socket})
  const stop = async () => {
    try {
      await stopChild(child, readPid(pidfile), 'dockerd')
    } finally {
      unmountUnder(dir)
      rmSync(dir, {recursive: true, force: true})
    }
  }
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`dockerd exited with code ${child.exitCode}: ${readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`)
      try {
        await docker.ping()
        return true
      } catch {
        return false
      }
    }, 'dockerd to answer', 60_000)
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
  return {socket, host: `unix://${socket}`, dir, client: async () => docker, stop}
}

/** Reads a dockerode progress stream to its end; fails on an `error` message. */
export async function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<Record<string, any>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<Record<string, any>>) => {
      if (error) return reject(error)
      const failed = output.find((message) => message.error || message.errorDetail)
      if (failed) return reject(new Error(String(failed.error ?? failed.errorDetail?.message)))
      resolve(output)
    })
  })
}

/**
 * Imports a busybox image (`/bin/busybox`, `/bin/sh` → busybox) under `tag`. `variant` adds a file
 * `/variant` with that content, so two calls with different variants give two different images.
 * Returns the image id (`sha256:…`).
 */
export async function buildBusyboxImage(dockerd: Dockerd, tag: string, variant?: string): Promise<string> {
  const root = shortTempDir('dkr-')
  try {
    mkdirSync(path.join(root, 'bin'))
    copyFileSync(BUSYBOX, path.join(root, 'bin', 'busybox'))
    chmodSync(path.join(root, 'bin', 'busybox'), 0o755)
    symlinkSync('busybox', path.join(root, 'bin', 'sh'))
    // Writable scratch places for commands run as a non-root user.
    mkdirSync(path.join(root, 'tmp'))
    chmodSync(path.join(root, 'tmp'), 0o1777)
    if (variant !== undefined) writeFileSync(path.join(root, 'variant'), variant)
    const tarFile = `${root}.tar`
    execFileSync('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tarFile, '.'])
    const docker = await dockerd.client()
    const [repo, imageTag] = splitTag(tag)
    const stream = await docker.importImage(tarFile, {repo, tag: imageTag})
    await followProgress(docker, stream)
    rmSync(tarFile, {force: true})
    const image = await docker.getImage(tag).inspect()
    return image.Id
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
}

/** `127.0.0.1:5000/team/web:tag` → [`127.0.0.1:5000/team/web`, `tag`]; the tag defaults to `latest`. */
function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest']
}

/**
 * Tags a local image as `ref` (`127.0.0.1:PORT/team/web:tag`) and pushes it; returns the manifest digest the
 * registry reported. 127.0.0.0/8 registries are allowed without TLS by default.
 */
export async function pushImage(dockerd: Dockerd, image: string, ref: string, auth?: {username: string; password: string}): Promise<string> {
  const docker = await dockerd.client()
  const [repo, tag] = splitTag(ref)
  await docker.getImage(image).tag({repo, tag})
  const registry = repo.slice(0, repo.indexOf('/'))
  const authconfig = auth ? {username: auth.username, password: auth.password, serveraddress: registry} : undefined
  const stream = await docker.getImage(`${repo}:${tag}`).push({tag, authconfig})
  const output = await followProgress(docker, stream)
  const digest = output.map((message) => message.aux?.Digest).find(Boolean)
  if (!digest) throw new Error(`push of ${ref} reported no digest: ${JSON.stringify(output.slice(-3))}`)
  return digest as string
}

/** A bcrypt hash for the registry's htpasswd file (Go's bcrypt accepts `$2b$`). */
function bcrypt(password: string): string {
  return execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))', password], {
    encoding: 'utf8',
    env: {...process.env, PYTHONWARNINGS: 'ignore'},
  }).trim()
}

/** Debian's docker-registry on a free port of 127.0.0.1 with fresh storage; with `auth`, htpasswd basic auth. */
export async function startRegistry(options: {auth?: {username: string; password: string}} = {}): Promise<Registry> {
  const dir = shortTempDir('dkg-')
  const port = await freePort()
  const authBlock = options.auth
    ? (() => {
        writeFileSync(path.join(dir, 'htpasswd'), `${options.auth.username}:${bcrypt(options.auth.password)}\n`)
        return `auth: {htpasswd: {realm: dkt-test, path: ${path.join(dir, 'htpasswd')}}}\n`
      })()
    : ''
  writeFileSync(
    path.join(dir, 'registry.yml'),
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      'storage:',
      `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
      '  delete: {enabled: true}',
      '  cache: {blobdescriptor: inmemory}',
      `http: {addr: 127.0.0.1:${port}, headers: {X-Content-Type-Options: [nosniff]}}`,
      'health: {storagedriver: {enabled: false}}',
      authBlock,
    ].join('\n'),
  )
  const log = openSync(path.join(dir, 'registry.log'), 'a')
  const child = spawn('timeout', ['900', 'docker-registry', 'serve', path.join(dir, 'registry.yml')], {stdio: ['ignore', log, log], detached: true})
  const stop = async () => {
    await stopChild(child, child.pid ? -child.pid : undefined, 'docker-registry')
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with code ${child.exitCode}: ${readFileSync(path.join(dir, 'registry.log'), 'utf8').slice(-2000)}`)
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v2/`)
        // 401 is an answer too: the auth variant asks for credentials.
        return response.status === 200 || response.status === 401
      } catch {
        return false
      }
    }, `docker-registry on port ${port}`, 30_000)
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
  return {port, host: `127.0.0.1:${port}`, auth: options.auth, stop}
}

/**
 * A private dockerd for the current test suite: started before its tests, stopped after.
 * Read `dockerd` inside tests.
 */
export function dockerForSuite(): {readonly dockerd: Dockerd} {
  const state: {dockerd?: Dockerd} = {}
  beforeAll(async () => {
    state.dockerd = await startDockerd()
  }, 120_000)
  afterAll(async () => {
    await state.dockerd?.stop()
  }, 60_000)
  return {
    get dockerd() {
      return state.dockerd as Dockerd
    },
  }
}

/** A docker-registry for the current test suite (optionally with basic auth). Read `registry` inside tests. */
export function registryForSuite(options: {auth?: {username: string; password: string}} = {}): {readonly registry: Registry} {
  const state: {registry?: Registry} = {}
  beforeAll(async () => {
    state.registry = await startRegistry(options)
  }, 60_000)
  afterAll(async () => {
    await state.registry?.stop()
  }, 60_000)
  return {
    get registry() {
      return state.registry as Registry
    },
  }
}
