// The `git` kind: any git URL or local repository; versions are the commits on TAG that touch PATH (`sha1:`).
import {existsSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {NotFoundError, RemoteUnreachableError} from '../../base/errors.js'
import {commitIdentity, gitMessage, runGit} from '../../base/git-cli.js'
import {makeVersion, type Version, versionHex} from '../../base/version.js'
import type {DriverContext, Fields, KindDriver, ResolvedLocation, SourceSpec} from '../driver.js'
import {isRefPattern, matchRefs} from '../ref-pattern.js'
import {
  credentialEnv,
  ensureMirror,
  fetchRefs,
  isRemoteUrl,
  listRemoteRefs,
  mirrorRefObjects,
  remoteDefaultBranch,
  remoteUrl,
  resolveTag,
  updateMirror,
} from './mirror.js'
import {localRepositoryRefs} from './watch.js'

/** git pathspec for a `/`-rooted sub-path: `--` alone for the whole tree. */
function pathspec(source: SourceSpec): string[] {
  const sub = (source.path ?? '').replace(/^\/+/, '')
  return sub ? ['--', sub] : ['--']
}

function toVersions(stdout: string): Version[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((sha) => makeVersion('sha1', sha))
}

async function revList(mirror: string, args: string[], source: SourceSpec): Promise<Version[]> {
  return toVersions((await runGit(['rev-list', ...args, ...pathspec(source)], {cwd: mirror})).stdout)
}

function tagOf(source: SourceSpec): string {
  if (!source.tag) throw new NotFoundError(`git source \`${source.name}\` has no TAG`)
  return source.tag
}

export async function resolveGitLocation(location: string, tag: string | undefined, ctx: DriverContext): Promise<ResolvedLocation> {
  const url = remoteUrl(location, ctx)
  if (isRefPattern(tag)) {
    // A pattern may match nothing yet (no pull request open): only the remote must be reachable.
    await listRemoteRefs(url, ctx)
    return {kind: 'git', location, tag}
  }
  const resolvedTag = tag ?? (await remoteDefaultBranch(url, ctx))
  return {kind: 'git', location, tag: resolvedTag}
}

/** The latest version on every ref a TAG pattern matches: see KindDriver.checkRefs. */
async function checkRefs(source: SourceSpec, ctx: DriverContext): Promise<Record<string, Version>> {
  const url = remoteUrl(source.location, ctx)
  const remote = await listRemoteRefs(url, ctx)
  const matched = matchRefs(tagOf(source), remote.keys())
  const mirror = await fetchRefs(url, [], ctx)
  const local = await mirrorRefObjects(mirror)
  const moved = matched.filter((ref) => local.get(ref) !== remote.get(ref)?.object)
  if (moved.length > 0) await fetchRefs(url, moved, ctx)
  const latest: Record<string, Version> = {}
  for (const ref of matched) {
    const [version] = await revList(mirror, ['-1', `${ref}^{commit}`], source)
    if (version) latest[ref] = version
  }
  return latest
}

export const driver: KindDriver = {
  kind: 'git',
  fields: ['ROOT', 'COMMIT'],
  history: 'own',
  watchedPaths: localRepositoryRefs,
  checkRefs,

  async resolve(input, ctx) {
    if (input.location === undefined) throw new NotFoundError('a git source needs a LOCATION (a git URL or a local repository)')
    if (isRemoteUrl(input.location)) return resolveGitLocation(input.location, input.tag, ctx)
    // A local repository: stored relative to the project root when inside it (clones resolve it too), else absolute.
    const location = path.resolve(input.cwd, input.location)
    if (!existsSync(location)) throw new NotFoundError(`local path \`${input.location}\` does not exist`, {location})
    const rel = path.relative(ctx.baseDir, location)
    const stored = rel.startsWith('..') || path.isAbsolute(rel) ? location : rel || '.'
    return resolveGitLocation(stored, input.tag, ctx)
  },

  async check(source, from, ctx) {
    const url = remoteUrl(source.location, ctx)
    const mirror = await updateMirror(url, ctx)
    const ref = await resolveTag(mirror, tagOf(source), url)
    const [latest] = await revList(mirror, ['-1', ref], source)
    if (!latest) {
      throw new NotFoundError(`path \`${source.path}\` does not exist on \`${source.tag}\` of \`${source.location}\``, {path: source.path})
    }
    if (!from) return [latest]
    const stillValid = await runGit(['merge-base', '--is-ancestor', versionHex(from), ref], {cwd: mirror, allowFailure: true})
    if (stillValid.exitCode !== 0) return [latest]
    const newer = await revList(mirror, ['--reverse', `${versionHex(from)}..${ref}`], source)
    return [from, ...newer]
  },

  async log(source, latest, ctx) {
    const mirror = await ensureMirror(remoteUrl(source.location, ctx), ctx)
    const known = await runGit(['cat-file', '-e', `${versionHex(latest)}^{commit}`], {cwd: mirror, allowFailure: true})
    if (known.exitCode !== 0) await updateMirror(remoteUrl(source.location, ctx), ctx)
    return revList(mirror, [versionHex(latest)], source)
  },

  async fetch(source, version, dir, ctx): Promise<Fields> {
    const mirror = await ensureMirror(remoteUrl(source.location, ctx), ctx)
    const sub = (source.path ?? '').replace(/^\/+/, '')
    const commit = versionHex(version)
    // A PATH naming a file is fetched as `git archive COMMIT PATH` gives it: that file at its path under ROOT.
    const file = sub !== '' && (await runGit(['cat-file', '-t', `${commit}:${sub}`], {cwd: mirror, allowFailure: true})).stdout.trim() === 'blob'
    const treeish = sub && !file ? `${commit}:${sub}` : commit
    const index = path.join(await fs.mkdtemp(path.join(tmpdir(), 'dkt-index-')), 'index')
    try {
      await fs.mkdir(dir, {recursive: true})
      const env = {GIT_INDEX_FILE: index}
      await runGit(['--work-tree', dir, 'read-tree', treeish], {cwd: mirror, env})
      await runGit(['--work-tree', dir, 'checkout-index', '-f', ...(file ? ['--', sub] : ['-a'])], {cwd: mirror, env})
    } finally {
      await fs.rm(path.dirname(index), {recursive: true, force: true})
    }
    return {ROOT: dir, COMMIT: commit}
  },

  async prepareOutput(source, dir, ctx): Promise<Fields> {
    const url = remoteUrl(source.location, ctx)
    const result = await runGit(['clone', '-q', '--branch', tagOf(source), '--single-branch', url, dir], {
      cwd: ctx.baseDir,
      env: credentialEnv(url, ctx),
      allowFailure: true,
      signal: ctx.signal,
    })
    if (result.exitCode !== 0) throw new RemoteUnreachableError(`cannot clone \`${source.location}\` to write to it: ${gitMessage(result.stderr)}`)
    const root = path.join(dir, source.path ?? '')
    await fs.mkdir(root, {recursive: true})
    const head = (await runGit(['rev-parse', 'HEAD'], {cwd: dir})).stdout.trim()
    return {ROOT: root, COMMIT: head}
  },

  async publish(source, dir, ctx, {message}) {
    const url = remoteUrl(source.location, ctx)
    await runGit(['add', '-A'], {cwd: dir})
    const staged = await runGit(['diff', '--cached', '--quiet'], {cwd: dir, allowFailure: true})
    if (staged.exitCode !== 0) {
      await runGit(['commit', '-q', '--no-verify', '-m', message], {cwd: dir, env: await commitIdentity(dir)})
      const pushed = await runGit(['push', '-q', url, `HEAD:refs/heads/${tagOf(source)}`], {
        cwd: dir,
        env: credentialEnv(url, ctx),
        allowFailure: true,
        signal: ctx.signal,
      })
      if (pushed.exitCode !== 0) throw new RemoteUnreachableError(`cannot push to \`${source.location}\`: ${gitMessage(pushed.stderr)}`)
    }
    const [latest] = toVersions((await runGit(['rev-list', '-1', 'HEAD', ...pathspec(source)], {cwd: dir})).stdout)
    // Keep the mirror in step, so that the new commit is in the source's log at once.
    await updateMirror(url, ctx)
    return latest
  },
}
