// The `path` kind: a local folder (or a new temporary one); its version is the md5 digest of the tree.
import {createHash} from 'node:crypto'
import {statSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import {homedir, tmpdir} from 'node:os'
import * as path from 'node:path'

import {InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import {machineName} from '../../base/host.js'
import type {Version} from '../../base/version.js'
import type {DriverContext, Fields, KindDriver, ResolvedLocation, SourceSpec} from '../driver.js'
import {HashCacheStore} from './hash-cache.js'
import {hashTree} from './hash-tree.js'

const hashCaches = new HashCacheStore()

function expandHome(location: string): string {
  return location === '~' || location.startsWith('~/') ? path.join(homedir(), location.slice(1)) : location
}

/** The value kept in `known` under `key`, computed the first time it is asked for. */
function remembered(known: Map<string, string>, key: string, compute: () => string): string {
  let value = known.get(key)
  if (value === undefined) {
    value = compute()
    known.set(key, value)
  }
  return value
}

/** Resolved folders by base folder, location and sub-path: a scheduler resolves thousands, over and over. */
const roots = new Map<string, string>()

/** Absolute folder of a path source: its location (relative to the project root) plus its sub-path. */
export function sourceRoot(source: SourceSpec, ctx: DriverContext): string {
  const resolve = () => path.join(path.resolve(ctx.baseDir, expandHome(source.location)), source.path ?? '')
  // A home folder is not part of the key: `~` is resolved every time.
  if (source.location.startsWith('~')) return resolve()
  return remembered(roots, `${ctx.baseDir}\0${source.location}\0${source.path ?? ''}`, resolve)
}

function assertFolder(dir: string, source: string): void {
  const stat = statSync(dir, {throwIfNoEntry: false})
  if (!stat) throw new NotFoundError(`local path \`${source}\` does not exist`, {path: dir})
  if (!stat.isDirectory()) throw new InvalidArgumentError(`local path \`${source}\` is not a folder`, {path: dir})
}

/** The hash cache file of each folder, by its path (a scheduler hashes the same folders over and over). */
const cacheFiles = new Map<string, string>()

function cacheFileOf(root: string, ctx: DriverContext): string {
  return remembered(cacheFiles, `${ctx.cacheDir}\0${root}`, () => path.join(ctx.cacheDir, `${createHash('sha1').update(root).digest('hex')}.json`))
}

async function digest(source: SourceSpec, ctx: DriverContext): Promise<Version> {
  const root = sourceRoot(source, ctx)
  assertFolder(root, root)
  const cacheFile = cacheFileOf(root, ctx)
  const result = await hashTree(root, await hashCaches.load(cacheFile))
  await hashCaches.save(cacheFile, result.cache)
  return result.version
}

export const driver: KindDriver = {
  kind: 'path',
  fields: ['ROOT'],
  history: 'observed',
  // A path source is followed by watching its folder, never polled.
  watchedPaths: (source, ctx) => [sourceRoot(source, ctx)],

  async resolve(input, ctx): Promise<ResolvedLocation> {
    if (input.tag !== undefined) throw new InvalidArgumentError('path sources have no tags')
    if (input.location === undefined) {
      const created = await fs.mkdtemp(path.join(tmpdir(), 'dkt-'))
      return {kind: 'path', location: created, host: machineName(), created}
    }
    const abs = path.resolve(input.cwd, expandHome(input.location))
    assertFolder(abs, input.location)
    const rel = path.relative(ctx.baseDir, abs)
    // Inside the project: stored relative to its root, so that clones of the project resolve it too.
    const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
    // A folder exists on this machine only: its source lives here (see SourceDef.host).
    return {kind: 'path', location: inside ? (rel === '' ? '.' : rel.split(path.sep).join('/')) : abs, host: machineName()}
  },

  async check(source, _from, ctx) {
    // Only the current content is still valid: older digests cannot be materialized again.
    return [await digest(source, ctx)]
  },

  async fetch(source, version, _dir, ctx): Promise<Fields> {
    const current = await digest(source, ctx)
    if (current !== version) {
      throw new NotFoundError(
        `version ${version} of path source \`${source.name}\` is not its current content (${current}); path sources keep no copies of old versions`,
      )
    }
    return {ROOT: sourceRoot(source, ctx)}
  },

  async prepareOutput(source, _dir, ctx): Promise<Fields> {
    const root = sourceRoot(source, ctx)
    assertFolder(root, root)
    return {ROOT: root}
  },

  async publish(source, _dir, ctx) {
    // A path output is written in place: publishing is recording what is there now.
    return digest(source, ctx)
  },
}
