// The hash cache of each hashed folder (`cache/path/SHA1.json`), kept in memory for the life of the process and
// written back only when it changed.
import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {emptyHashCache, type HashCache, hashCacheOf} from './hash-tree.js'

/**
 * A scheduler hashes the same folders for every run (an input is checked before each run that reads it, an
 * output after each run that writes it): reading and rewriting the JSON every time cost more than hashing those
 * trees. Keeping a copy in memory is safe even when another process rewrites the file meanwhile: every entry is
 * checked against the file's (dev, ino, size, mtime) before it is used, so an older copy can only make a changed
 * file be hashed again, never hide a change.
 */
export class HashCacheStore {
  private readonly known = new Map<string, {text: string; cache: HashCache}>()

  async load(file: string): Promise<HashCache> {
    const known = this.known.get(file)
    if (known) return known.cache
    // Synchronous: a scheduler starting on thousands of sources reads one small cache per source.
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      text = JSON.stringify(emptyHashCache())
    }
    let cache: HashCache
    try {
      cache = hashCacheOf(JSON.parse(text))
    } catch {
      // A damaged cache only costs a re-hash.
      cache = emptyHashCache()
    }
    this.known.set(file, {text, cache})
    return cache
  }

  /**
   * Keeps `cache` for `file`; writes the file only if its content changes. Returns whether it wrote. A cache that
   * cannot be written (a full disk) only costs a re-hash next time: it never fails the command that hashed.
   */
  async save(file: string, cache: HashCache): Promise<boolean> {
    // hashTree gives back the cache it was given when nothing changed: no need to serialize it to know.
    if (this.known.get(file)?.cache === cache) return false
    const text = JSON.stringify(cache)
    const before = this.known.get(file)?.text
    this.known.set(file, {text, cache})
    if (text === before) return false
    // A cache that cannot be written (a full disk) only costs a re-hash next time; the command goes on to say what failed.
    try {
      await writeFileAtomic(file, text)
      return true
    } catch {
      this.known.delete(file)
      return false
    }
  }
}
