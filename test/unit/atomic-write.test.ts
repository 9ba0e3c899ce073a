import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {atomicWriterPid, foldersToSync, writeFileAtomic} from '../../src/base/atomic-write.js'
import {tempDir} from '../helpers/tmp.js'

describe('writeFileAtomic', () => {
  it('creates the folder, replaces the file whole, and leaves no temporary file', async () => {
    const file = path.join(tempDir(), 'a', 'b', 'x.json')
    await writeFileAtomic(file, 'one')
    await writeFileAtomic(file, 'two', {fsync: true})
    expect(readFileSync(file, 'utf8')).toBe('two')
    expect(readdirSync(path.dirname(file))).toEqual(['x.json'])
  })

  it('exclusive: places the file only if none exists (EEXIST otherwise), leaving no temporary file', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'claim.json')
    await writeFileAtomic(file, 'first', {exclusive: true})
    await expect(writeFileAtomic(file, 'second', {exclusive: true})).rejects.toMatchObject({code: 'EEXIST'})
    expect(readFileSync(file, 'utf8')).toBe('first')
    expect(readdirSync(dir)).toEqual(['claim.json'])
  })

  it('removes its temporary file when the write fails', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'blocker'), '')
    // The target is a folder that is not empty: rename fails.
    const target = path.join(dir, 'target')
    await writeFileAtomic(path.join(target, 'inside'), 'x')
    await expect(writeFileAtomic(target, 'y')).rejects.toThrow()
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'target'])
    expect(existsSync(path.join(target, 'inside'))).toBe(true)
  })

  it('tells which process left a temporary file, by its name', () => {
    expect(atomicWriterPid('run.json.tmp-4242-0a1b2c3d')).toBe(4242)
    expect(atomicWriterPid('run.json')).toBeUndefined()
    expect(atomicWriterPid('notes.tmp-later')).toBeUndefined()
  })

  it("syncFolder: the file's folder and the parent of every folder it created are flushed too", async () => {
    const root = tempDir()
    const file = path.join(root, 'runs', 'node', 'run.json')
    await writeFileAtomic(file, 'x', {syncFolder: true})
    expect(readFileSync(file, 'utf8')).toBe('x')
    expect(foldersToSync(file, path.join(root, 'runs'))).toEqual([path.join(root, 'runs', 'node'), path.join(root, 'runs'), root])
    expect(foldersToSync(file, undefined)).toEqual([path.join(root, 'runs', 'node')])
  })
})
