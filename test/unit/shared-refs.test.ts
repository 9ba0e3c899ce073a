// Golden tests of the shared refs' names and parsing, and a round trip through a real repository.
import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {claimKey, isValidWorkerName, parseSharedRefs, readSharedRefs, writeSharedValue} from '../../src/core/remote/shared-refs.js'
import {tempDir} from '../helpers/tmp.js'

describe('shared refs', () => {
  it('names a claim by node, and by node and ref for a node fanned out over refs', () => {
    expect(claimKey('ab12')).toBe('ab12')
    expect(claimKey('ab12', 'refs/heads/main')).toBe('ab12-cmVmcy9oZWFkcy9tYWlu')
  })

  it('accepts worker names that are ref name segments only', () => {
    for (const good of ['linux-1', 'osx_2', 'w.3']) expect(isValidWorkerName(good)).toBe(true)
    for (const bad of ['', '-x', '.x', 'a/b', 'a..b', 'x.lock', 'a b', 'x'.repeat(101)]) expect(isValidWorkerName(bad)).toBe(false)
  })

  it('parses for-each-ref output and skips values it cannot read', () => {
    const output = 'refs/dkt/workers/a\0c1\0{"name":"a"}\n\0\nrefs/dkt/workers/b\0c2\0not json\0'
    expect(parseSharedRefs(output)).toEqual([{ref: 'refs/dkt/workers/a', name: 'a', object: 'c1', value: {name: 'a'}}])
  })

  it('writes a value as a commit and reads it back from a ref', async () => {
    const dir = tempDir()
    execFileSync('git', ['init', '-q', dir])
    const object = await writeSharedValue(dir, {name: 'w1', labels: ['linux']})
    execFileSync('git', ['-C', dir, 'update-ref', 'refs/dkt/workers/w1', object])
    expect(await readSharedRefs(dir, 'refs/dkt/workers/')).toEqual([{ref: 'refs/dkt/workers/w1', name: 'w1', object, value: {name: 'w1', labels: ['linux']}}])
  })
})
