// A bare mirror of a git location in `.dkt/cache/git/`, updated with fetch; its history is the source's version log.
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {NotFoundError, RemoteUnreachableError} from '../../base/errors.js'
import {gitMessage, runGit, tokenHeaderEnv} from '../../base/git-cli.js'
import {githubBaseUrl} from '../github/base-url.js'
import {acquireLock} from '../../base/lock.js'
import {redactUrlCredentials} from '../../base/redact.js'
import type {DriverContext} from '../driver.js'
import {parseLsRemote, type RemoteRef} from '../ref-pattern.js'

/** Whether a location is a URL (or scp-style `user@host:path`) rather than a local path. */
export function isRemoteUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) || /^[\w.-]+@[\w.-]+:/.test(location)
}

/** The URL git is given: local relative locations resolve against the project root. */
export function remoteUrl(location: string, ctx: DriverContext): string {
  return isRemoteUrl(location) ? location : path.resolve(ctx.baseDir, location)
}

/**
 * Environment that hands the GitHub token to git for https remotes on the configured GitHub host only, through
 * GIT_CONFIG_* variables so the token never appears in a command line, a URL or a log.
 */
export function credentialEnv(url: string, ctx: DriverContext): Record<string, string> {
  const token = ctx.secrets['github-token']
  const base = githubBaseUrl(ctx.settings).replace(/\/+$/, '')
  if (!token || !/^https:\/\//i.test(url) || !url.toLowerCase().startsWith(`${base.toLowerCase()}/`)) return {}
  return tokenHeaderEnv(token)
}

function unreachable(url: string, stderr: string): RemoteUnreachableError {
  return new RemoteUnreachableError(`cannot reach git repository \`${redactUrlCredentials(url)}\`: ${gitMessage(stderr)}`, {
    data: {url: redactUrlCredentials(url)},
  })
}

/** The remote's default branch (what its HEAD points to). */
export async function remoteDefaultBranch(url: string, ctx: DriverContext): Promise<string> {
  const result = await runGit(['ls-remote', '--symref', url, 'HEAD'], {
    cwd: ctx.baseDir,
    env: credentialEnv(url, ctx),
    allowFailure: true,
    signal: ctx.signal,
  })
  if (result.exitCode !== 0) throw unreachable(url, result.stderr)
  const symref = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(result.stdout)
  if (!symref) throw new NotFoundError(`git repository \`${redactUrlCredentials(url)}\` has no default branch; give a TAG (LOCATION:TAG)`)
  return symref[1]
}

export function mirrorDir(url: string, ctx: DriverContext): string {
  return path.join(ctx.cacheDir, `${createHash('sha1').update(url).digest('hex').slice(0, 20)}.git`)
}

/** Fetches `refspecs` from `url` into its mirror (created if need be), under the mirror's lock; returns its folder. */
async function fetchIntoMirror(url: string, refspecs: string[], ctx: DriverContext, options: string[] = []): Promise<string> {
  const dir = mirrorDir(url, ctx)
  await fs.mkdir(ctx.cacheDir, {recursive: true})
  // Two dkt processes may fetch into one mirror at once; git would fail on its ref locks.
  const lock = await acquireLock(`${dir}.lock`, {timeoutMs: 120_000})
  try {
    if (!existsSync(path.join(dir, 'HEAD'))) {
      await fs.rm(dir, {recursive: true, force: true})
      await runGit(['init', '-q', '--bare', dir], {cwd: ctx.cacheDir})
    }
    if (refspecs.length === 0) return dir
    const result = await runGit(['fetch', '-q', ...options, '--no-tags', url, ...refspecs], {
      cwd: dir,
      env: credentialEnv(url, ctx),
      allowFailure: true,
      signal: ctx.signal,
    })
    if (result.exitCode !== 0) throw unreachable(url, result.stderr)
    return dir
  } finally {
    await lock.release()
  }
}

/** Creates or updates the mirror of `url` (branches and tags) and returns its folder. */
export async function updateMirror(url: string, ctx: DriverContext): Promise<string> {
  return fetchIntoMirror(url, ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], ctx, ['--prune'])
}

/** Every ref of the remote as `git ls-remote` lists it (one call, nothing fetched). */
export async function listRemoteRefs(url: string, ctx: DriverContext): Promise<Map<string, RemoteRef>> {
  const result = await runGit(['ls-remote', url], {cwd: ctx.baseDir, env: credentialEnv(url, ctx), allowFailure: true, signal: ctx.signal})
  if (result.exitCode !== 0) throw unreachable(url, result.stderr)
  return parseLsRemote(result.stdout)
}

/** The object each ref of the mirror names (for-each-ref), to tell which remote refs moved since the last fetch. */
export async function mirrorRefObjects(mirror: string): Promise<Map<string, string>> {
  const listed = await runGit(['for-each-ref', '--format=%(objectname) %(refname)'], {cwd: mirror})
  return new Map(
    listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [object, ref] = line.split(' ')
        return [ref, object]
      }),
  )
}

/**
 * Brings exactly the given refs of `url` into its mirror (force: a rewritten pull request replaces its old tip)
 * and returns the mirror. Other refs are left as they are.
 */
export async function fetchRefs(url: string, refs: string[], ctx: DriverContext): Promise<string> {
  return fetchIntoMirror(url, refs.map((ref) => `+${ref}:${ref}`), ctx)
}

/** The mirror, fetched only if it does not exist yet (e.g. in a fresh clone of the project). */
export async function ensureMirror(url: string, ctx: DriverContext): Promise<string> {
  const dir = mirrorDir(url, ctx)
  return existsSync(path.join(dir, 'HEAD')) ? dir : updateMirror(url, ctx)
}

/** The full ref a TAG names in the mirror: a branch first, then a tag. */
export async function resolveTag(mirror: string, tag: string, url: string): Promise<string> {
  const refs = await runGit(['for-each-ref', '--format=%(refname)', `refs/heads/${tag}`, `refs/tags/${tag}`], {cwd: mirror})
  const found = refs.stdout.split('\n').filter(Boolean)
  const ref = found.find((r) => r.startsWith('refs/heads/')) ?? found[0]
  if (!ref) throw new NotFoundError(`branch or tag \`${tag}\` does not exist in \`${redactUrlCredentials(url)}\``, {tag})
  return `${ref}^{commit}`
}
