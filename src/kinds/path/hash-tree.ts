// The `md5:` digest of a folder tree (relative paths, exec bits, contents), with a cache keyed by
// (device, inode, size, mtime) so that a re-check reads only the files that changed, and lists only the folders that did.
import {createHash} from 'node:crypto'
import {type BigIntStats, readdirSync, readlinkSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {setImmediate as nextTurn} from 'node:timers/promises'

import {makeVersion, type Version} from '../../base/version.js'
import {md5File} from '../file-digest.js'

/** Folders never hashed: dkt's and git's own metadata change on every command. */
export const IGNORED_DIRS = new Set(['.dkt', '.git'])

export interface TreeEntry {
  /** `/`-separated path relative to the root. */
  path: string
  /** `x` executable file, `-` other file, `l` symbolic link (its target is the content). */
  mode: 'x' | '-' | 'l'
  /** md5 hex of the content. */
  md5: string
}

interface CacheEntry {
  dev: string
  ino: string
  size: string
  mtimeNs: string
  md5: string
}

/** A folder's entry as its listing gave it: a sub-folder, a file, or a symbolic link with the md5 of its target. */
type ListedEntry = [name: string, type: 'd' | 'f'] | [name: string, type: 'l', targetMd5: string]

/**
 * A folder's listing, valid while its stamp (device, inode, mtime, ctime) holds: adding, removing or renaming an
 * entry changes the folder's mtime and ctime (and a symbolic link cannot change in place), so an unchanged folder is
 * not listed again, as git's untracked cache does. Its files' contents are checked by their own entries.
 */
interface CachedListing {
  stamp: string
  entries: ListedEntry[]
}

export interface HashCache {
  format: 2
  /** Files by `/`-separated path. */
  files: Record<string, CacheEntry>
  /** Folder listings by `/`-separated path (`` for the root). */
  dirs: Record<string, CachedListing>
}

export const emptyHashCache = (): HashCache => ({format: 2, files: {}, dirs: {}})

/** A cache as read from its file: the first format (files only) keeps its files; anything else counts as empty. */
export function hashCacheOf(raw: unknown): HashCache {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return emptyHashCache()
  const cache = raw as Partial<HashCache>
  if (cache.format !== 2) return {format: 2, files: raw as Record<string, CacheEntry>, dirs: {}}
  return {format: 2, files: cache.files ?? {}, dirs: cache.dirs ?? {}}
}

export interface TreeDigest {
  version: Version
  files: number
  /** Files read and hashed in this call. */
  hashed: number
  /** Files whose digest came from the cache. */
  reused: number
  /** Folders listed in this call (the others' listings came from the cache). */
  listed: number
  /** The cache to keep for next time: the one given when nothing in it changed. */
  cache: HashCache
}

/** The digest of a list of entries: md5 over `MD5 MODE PATH\n` lines in byte order of PATH. Pure. */
export function digestEntries(entries: TreeEntry[]): Version {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
  const hash = createHash('md5')
  for (const entry of sorted) hash.update(`${entry.md5} ${entry.mode} ${entry.path}\n`)
  return makeVersion('md5', hash.digest('hex'))
}

const WALK_BATCH = 1000

// Files modified this recently may still be changing within the same mtime tick (git's "racy" entries): hash
// them, but do not trust the cache for them next time.
const RACY_WINDOW_NS = 2_000_000_000n

const stampOf = (stat: BigIntStats) => `${stat.dev}:${stat.ino}:${stat.mtimeNs}:${stat.ctimeNs}`

/** A folder's entries, listed (what is not data, sockets, FIFOs and devices, is left out). */
function listFolder(dir: string): ListedEntry[] {
  const listed: ListedEntry[] = []
  for (const dirent of readdirSync(dir, {withFileTypes: true})) {
    if (dirent.isDirectory()) listed.push([dirent.name, 'd'])
    else if (dirent.isSymbolicLink()) listed.push([dirent.name, 'l', createHash('md5').update(readlinkSync(path.join(dir, dirent.name))).digest('hex')])
    else if (dirent.isFile()) listed.push([dirent.name, 'f'])
  }
  return listed
}

/**
 * Hashes the tree under `root`, reusing `cache`: the listing of a folder whose stamp is unchanged, and the digest of
 * a file whose (dev, ino, size, mtime) are unchanged. An unchanged tree costs one stat per folder and per file, and
 * gives back the same cache object (nothing to write).
 */
export async function hashTree(root: string, cache: Partial<HashCache> = {}, nowMs = Date.now()): Promise<TreeDigest> {
  const files = cache.files ?? {}
  const dirs = cache.dirs ?? {}
  const entries: TreeEntry[] = []
  const next = emptyHashCache()
  let hashed = 0
  let reused = 0
  let listed = 0
  // An entry of the cache that is not kept as it was (racy now): the cache to keep differs.
  let dropped = false
  const nowNs = BigInt(nowMs) * 1_000_000n
  const settled = (stat: BigIntStats) => nowNs - stat.mtimeNs > RACY_WINDOW_NS && nowNs - stat.ctimeNs > RACY_WINDOW_NS

  // The tree's metadata is read with synchronous calls (microseconds each; a promise call costs thread-pool round
  // trips, and a scheduler checks thousands of small folders at start), letting other work in every WALK_BATCH
  // entries so that a huge tree does not hold up the process.
  let sinceTurn = 0
  async function walk(dir: string, rel: string, dirStat: BigIntStats): Promise<void> {
    const stamp = stampOf(dirStat)
    const known = dirs[rel]
    const reusable = known !== undefined && known.stamp === stamp
    const listing = reusable ? known.entries : listFolder(dir)
    if (!reusable) listed++
    if (settled(dirStat)) next.dirs[rel] = reusable ? known : {stamp, entries: listing}
    else dropped = true
    for (const [name, type, targetMd5] of listing) {
      if (++sinceTurn >= WALK_BATCH) {
        sinceTurn = 0
        await nextTurn()
      }
      const abs = path.join(dir, name)
      const relPath = rel ? `${rel}/${name}` : name
      if (type === 'd') {
        if (!IGNORED_DIRS.has(name)) await walk(abs, relPath, statSync(abs, {bigint: true}))
      } else if (type === 'l') entries.push({path: relPath, mode: 'l', md5: targetMd5 as string})
      else {
        const stat = statSync(abs, {bigint: true})
        const key = {dev: String(stat.dev), ino: String(stat.ino), size: String(stat.size), mtimeNs: String(stat.mtimeNs)}
        const cached = files[relPath]
        const hit = cached && cached.dev === key.dev && cached.ino === key.ino && cached.size === key.size && cached.mtimeNs === key.mtimeNs
        const md5 = hit ? cached.md5 : await md5File(abs, Number(stat.size))
        if (hit) reused++
        else hashed++
        if (nowNs - stat.mtimeNs > RACY_WINDOW_NS) next.files[relPath] = hit ? cached : {...key, md5}
        else dropped = true
        entries.push({path: relPath, mode: (Number(stat.mode) & 0o111) !== 0 ? 'x' : '-', md5})
      }
    }
  }

  await walk(root, '', statSync(root, {bigint: true}))
  // Every folder and file of the tree was found in the cache as it was, and the cache holds no other: it is unchanged.
  const same =
    cache.format === 2 && listed === 0 && hashed === 0 && !dropped && Object.keys(files).length === reused && Object.keys(dirs).length === Object.keys(next.dirs).length
  return {version: digestEntries(entries), files: entries.length, hashed, reused, listed, cache: same ? (cache as HashCache) : next}
}
