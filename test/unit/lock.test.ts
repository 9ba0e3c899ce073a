import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {acquireLock} from '../../src/base/lock.js'
import {tempDir} from '../helpers/tmp.js'

describe('project lock', () => {
  it('appears with its owner already written, and leaves nothing behind once released', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'lock')
    const lock = await acquireLock(file, {timeoutMs: 1000})
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid)
    expect(readdirSync(dir)).toEqual(['lock'])
    await lock.release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('takes over the lock of a dead owner, with its leftover draft', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'lock')
    const dead = {pid: 999_999_999, host: hostname(), token: 'deadbeef', since: ''}
    writeFileSync(file, JSON.stringify(dead))
    writeFileSync(`${file}.deadbeef`, JSON.stringify(dead))
    const lock = await acquireLock(file, {timeoutMs: 1000})
    expect(lock.recovered).toBe(true)
    expect(existsSync(`${file}.deadbeef`)).toBe(false)
    await lock.release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('waits for a live owner, then gives up naming it', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'lock')
    const held = await acquireLock(file, {timeoutMs: 1000})
    await expect(acquireLock(file, {timeoutMs: 50})).rejects.toThrow(new RegExp(`held by pid ${process.pid}`))
    await held.release()
  })
})
