// The `md5:` digest of a folder tree (relative paths, exec bits, contents), with a cache keyed by
// (device, inode, size, mtime) so that a re-check reads only the files that changed.
import {createHash} from 'node:crypto'
import {readdirSync, readlinkSync, statSync} from 'node:fs'
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

export type HashCache = Record<string, CacheEntry>

export interface TreeDigest {
  version: Version
  files: number
  /** Files read and hashed in this call. */
  hashed: number
  /** Files whose digest came from the cache. */
  reused: number
  /** The cache to keep for next time. */
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

/** Hashes the tree under `root`, reusing `cache` entries whose (dev, ino, size, mtime) are unchanged. */
export async function hashTree(root: string, cache: HashCache = {}, nowMs = Date.now()): Promise<TreeDigest> {
  const entries: TreeEntry[] = []
  const nextCache: HashCache = {}
  let hashed = 0
  let reused = 0
  const nowNs = BigInt(nowMs) * 1_000_000n

  // The tree's metadata is read with synchronous calls (microseconds each; a promise call costs thread-pool round
  // trips, and a scheduler checks thousands of small folders at start), letting other work in every WALK_BATCH
  // entries so that a huge tree does not hold up the process.
  let sinceTurn = 0
  async function walk(dir: string, rel: string): Promise<void> {
    const dirents = readdirSync(dir, {withFileTypes: true})
    for (const dirent of dirents) {
      if (++sinceTurn >= WALK_BATCH) {
        sinceTurn = 0
        await nextTurn()
      }
      const abs = path.join(dir, dirent.name)
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name
      if (dirent.isDirectory()) {
        if (!IGNORED_DIRS.has(dirent.name)) await walk(abs, relPath)
      } else if (dirent.isSymbolicLink()) {
        const target = readlinkSync(abs)
        entries.push({path: relPath, mode: 'l', md5: createHash('md5').update(target).digest('hex')})
      } else if (dirent.isFile()) {
        const stat = statSync(abs, {bigint: true})
        const key = {dev: String(stat.dev), ino: String(stat.ino), size: String(stat.size), mtimeNs: String(stat.mtimeNs)}
        const cached = cache[relPath]
        let md5: string
        if (cached && cached.dev === key.dev && cached.ino === key.ino && cached.size === key.size && cached.mtimeNs === key.mtimeNs) {
          md5 = cached.md5
          reused++
        } else {
          md5 = await md5File(abs, Number(stat.size))
          hashed++
        }
        if (nowNs - stat.mtimeNs > RACY_WINDOW_NS) nextCache[relPath] = {...key, md5}
        entries.push({path: relPath, mode: (Number(stat.mode) & 0o111) !== 0 ? 'x' : '-', md5})
      }
      // Sockets, FIFOs and devices are not data: skipped.
    }
  }

  await walk(root, '')
  return {version: digestEntries(entries), files: entries.length, hashed, reused, cache: nextCache}
}
