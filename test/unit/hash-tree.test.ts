import {chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {digestEntries, emptyHashCache, hashTree} from '../../src/kinds/path/hash-tree.js'
import {tempDir} from '../helpers/tmp.js'

const OLD = new Date('2020-01-01T00:00:00Z')

function tree(files: Record<string, string>, exec: string[] = []): string {
  const root = tempDir()
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content)
    chmodSync(file, exec.includes(rel) ? 0o755 : 0o644)
    utimesSync(file, OLD, OLD)
  }
  return root
}

describe('tree digests (golden)', () => {
  it('an empty folder is md5 of nothing', async () => {
    expect((await hashTree(tempDir())).version).toBe('md5:d41d8cd98f00b204e9800998ecf8427e')
    expect(digestEntries([])).toBe('md5:d41d8cd98f00b204e9800998ecf8427e')
  })

  it('hashes MD5 MODE PATH lines in byte order of the paths', async () => {
    const root = tree({'a.txt': 'hello\n', 'bin/run.sh': '#!/bin/sh\n'}, ['bin/run.sh'])
    // md5("b1946ac9… - a.txt\n3e2b31c7… x bin/run.sh\n"), computed independently with Python's hashlib
    expect((await hashTree(root)).version).toBe('md5:384a7fb319865250e791cfa79c5a67d4')
  })

  it('a symbolic link is hashed by its target', async () => {
    const root = tree({'a.txt': 'hello\n'})
    symlinkSync('a.txt', path.join(root, 'link'))
    expect((await hashTree(root)).version).toBe('md5:d85286aa4795e01a6acc2c0ae2558032')
  })

  it('changes with a content, an exec bit or a name; ignores empty folders, .git and .dkt', async () => {
    const base = (await hashTree(tree({'a': '1'}))).version
    expect((await hashTree(tree({'a': '2'}))).version).not.toBe(base)
    expect((await hashTree(tree({'a': '1'}, ['a']))).version).not.toBe(base)
    expect((await hashTree(tree({'b': '1'}))).version).not.toBe(base)
    const withExtras = tree({'a': '1', '.git/HEAD': 'x', '.dkt/format': '1', 'sub/.dkt/x': 'y'})
    mkdirSync(path.join(withExtras, 'empty'))
    expect((await hashTree(withExtras)).version).toBe(base)
  })
})

describe('the hash cache', () => {
  it('does not re-read files whose (device, inode, size, mtime) are unchanged', async () => {
    const root = tree({'a': 'one', 'b': 'two', 'c/d': 'three'})
    const first = await hashTree(root, {})
    expect([first.hashed, first.reused]).toEqual([3, 0])
    const second = await hashTree(root, first.cache)
    expect([second.hashed, second.reused]).toEqual([0, 3])
    expect(second.version).toBe(first.version)

    writeFileSync(path.join(root, 'b'), 'TWO!')
    utimesSync(path.join(root, 'b'), OLD, new Date('2021-01-01T00:00:00Z'))
    const third = await hashTree(root, second.cache)
    expect([third.hashed, third.reused]).toEqual([1, 2])
    expect(third.version).not.toBe(first.version)
  })

  it('does not trust entries modified in the last moments (racy mtime)', async () => {
    const root = tempDir()
    writeFileSync(path.join(root, 'fresh'), 'x')
    const result = await hashTree(root, {})
    expect(result.cache).toEqual(emptyHashCache())
  })
})

/** A time far enough in the past that nothing is racy: the folders' and files' stamps are all settled. */
const LATER = Date.now() + 10_000

describe('the listing cache', () => {
  it('an unchanged tree is not listed again, and its cache comes back as it was (nothing to write)', async () => {
    const root = tree({'a': 'one', 'c/d': 'three'})
    symlinkSync('a', path.join(root, 'link'))
    const first = await hashTree(root, {}, LATER)
    expect(first.listed).toBe(2)
    const second = await hashTree(root, first.cache, LATER)
    expect([second.listed, second.hashed, second.reused]).toEqual([0, 0, 2])
    expect(second.version).toBe(first.version)
    expect(second.cache).toBe(first.cache)
  })

  it('an entry added, removed, renamed or replaced is found: its folder is listed again', async () => {
    const root = tree({'a': 'one', 'c/d': 'three'})
    let last = await hashTree(root, {}, LATER)
    const expectChange = async (change: () => void, listed: number) => {
      // Past the tick of the file system's clock of the last change (the racy window is what covers it in use).
      await new Promise((resolve) => setTimeout(resolve, 25))
      change()
      const next = await hashTree(root, last.cache, LATER)
      expect(next.listed).toBe(listed)
      expect(next.version).toBe((await hashTree(root)).version)
      expect(next.version).not.toBe(last.version)
      last = next
    }
    await expectChange(() => writeFileSync(path.join(root, 'c', 'new'), 'x'), 1)
    await expectChange(() => rmSync(path.join(root, 'c', 'd')), 1)
    await expectChange(() => renameSync(path.join(root, 'a'), path.join(root, 'b')), 1)
    await expectChange(() => symlinkSync('b', path.join(root, 'c', 'link')), 1)
    await expectChange(() => {
      rmSync(path.join(root, 'c', 'link'))
      symlinkSync('new', path.join(root, 'c', 'link'))
    }, 1)
    await expectChange(() => {
      mkdirSync(path.join(root, 'e', 'f'), {recursive: true})
      writeFileSync(path.join(root, 'e', 'f', 'g'), 'g')
    }, 3)
  })

  it('a file changed in an unchanged folder is hashed again; an exec bit changed is seen', async () => {
    const root = tree({'a': 'one', 'b': 'two'})
    const first = await hashTree(root, {}, LATER)
    writeFileSync(path.join(root, 'a'), 'ONE!')
    utimesSync(path.join(root, 'a'), OLD, new Date('2021-01-01T00:00:00Z'))
    const second = await hashTree(root, first.cache, LATER)
    expect([second.listed, second.hashed, second.reused]).toEqual([0, 1, 1])
    expect(second.version).toBe((await hashTree(root)).version)
    chmodSync(path.join(root, 'b'), 0o755)
    const third = await hashTree(root, second.cache, LATER)
    expect(third.listed).toBe(0)
    expect(third.version).not.toBe(second.version)
    expect(third.version).toBe((await hashTree(root)).version)
  })

  it('does not trust the listing of a folder changed in the last moments (racy)', async () => {
    const root = tree({'a': 'one'})
    const result = await hashTree(root, {})
    expect(result.cache.dirs).toEqual({})
    expect(Object.keys(result.cache.files)).toEqual(['a'])
  })
})
