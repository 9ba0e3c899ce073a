import {existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {HashCacheStore} from '../../src/kinds/path/hash-cache.js'
import {emptyHashCache, hashTree} from '../../src/kinds/path/hash-tree.js'
import {tempDir} from '../helpers/tmp.js'

const OLD = new Date('2020-01-01T00:00:00Z')

function oldTree(files: Record<string, string>): string {
  const root = tempDir()
  for (const [rel, content] of Object.entries(files)) {
    writeFileSync(path.join(root, rel), content)
    utimesSync(path.join(root, rel), OLD, OLD)
  }
  return root
}

describe('the in-memory hash cache store', () => {
  it('starts empty without a file and writes nothing for an empty cache', async () => {
    const file = path.join(tempDir(), 'path', 'x.json')
    const store = new HashCacheStore()
    expect(await store.load(file)).toEqual(emptyHashCache())
    expect(await store.save(file, emptyHashCache())).toBe(false)
    expect(existsSync(file)).toBe(false)
  })

  it('never fails the hashing when the cache cannot be written (a full disk), and tries again next time', async () => {
    const blocker = path.join(tempDir(), 'not-a-folder')
    writeFileSync(blocker, '')
    const file = path.join(blocker, 'x.json')
    const store = new HashCacheStore()
    const {cache} = await hashTree(oldTree({a: '1'}))
    expect(await store.save(file, cache)).toBe(false)
    rmSync(blocker)
    expect(await store.save(file, cache)).toBe(true)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(cache)
  })

  it('writes the file only when the cache changes', async () => {
    const file = path.join(tempDir(), 'path', 'x.json')
    const root = oldTree({a: 'one'})
    const store = new HashCacheStore()
    const first = await hashTree(root, await store.load(file))
    expect(await store.save(file, first.cache)).toBe(true)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first.cache)
    const second = await hashTree(root, await store.load(file))
    expect(second.reused).toBe(1)
    expect(await store.save(file, second.cache)).toBe(false)
  })

  it('reads the file once per process, then keeps its own copy', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'x.json')
    writeFileSync(file, JSON.stringify({a: {dev: '1', ino: '2', size: '3', mtimeNs: '4', md5: 'f'}}))
    const store = new HashCacheStore()
    // The first format (files only) is read as the files of the current one.
    expect(Object.keys((await store.load(file)).files)).toEqual(['a'])
    writeFileSync(file, '{}')
    expect(Object.keys((await store.load(file)).files)).toEqual(['a'])
    // Another process (another store) reads what is on disk.
    expect(await new HashCacheStore().load(file)).toEqual(emptyHashCache())
  })

  it('a stale copy never hides a change: entries are checked against the file before use', async () => {
    const file = path.join(tempDir(), 'x.json')
    const root = oldTree({a: 'one'})
    const store = new HashCacheStore()
    const first = await hashTree(root, await store.load(file))
    await store.save(file, first.cache)
    // Changed behind the store's back, same size, another mtime.
    writeFileSync(path.join(root, 'a'), 'two')
    utimesSync(path.join(root, 'a'), OLD, new Date('2021-01-01T00:00:00Z'))
    const second = await hashTree(root, await store.load(file))
    expect(second.hashed).toBe(1)
    expect(second.version).not.toBe(first.version)
    expect(await store.save(file, second.cache)).toBe(true)
  })

  it('a damaged cache file counts as empty', async () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'p'))
    const file = path.join(dir, 'p', 'x.json')
    writeFileSync(file, '{"a": ')
    expect(await new HashCacheStore().load(file)).toEqual(emptyHashCache())
  })
})
