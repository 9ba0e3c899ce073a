import {chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {digestEntries, hashTree} from '../../src/kinds/path/hash-tree.js'
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
    expect(result.cache).toEqual({})
  })
})
