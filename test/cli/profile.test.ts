import {readFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {ProfileReport} from '../../src/base/profile.js'
import {dktOk} from '../helpers/cli.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {tempDir} from '../helpers/tmp.js'

describe('DKT_PROFILE', () => {
  it('writes where a command spent its time, per phase, when the command ends', async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': 'a', 'b/x': ''})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    await dktOk(['source', 'add', 'b', 'b'], {cwd: dir})
    await dktOk(['node', 'run', '--detach', '--input', 'a', '--output', 'b', '--', 'sh', '-c', 'cp "$a_ROOT/x" "$b_ROOT/x"'], {cwd: dir})
    const file = path.join(tempDir(), 'profile.json')
    await dktOk(['scheduler', '--once'], {cwd: dir, env: {DKT_PROFILE: file}})
    const report = JSON.parse(readFileSync(file, 'utf8')) as ProfileReport
    expect(report).toMatchObject({format: 1, wallMs: expect.any(Number), cpu: {userMs: expect.any(Number), systemMs: expect.any(Number)}})
    expect(report.children).toMatchObject({userMs: expect.any(Number), systemMs: expect.any(Number)})
    for (const phase of ['claim', 'prepare', 'command', 'hash outputs', 'record']) expect(report.phases[phase]).toMatchObject({ms: expect.any(Number), count: 1})
    for (const phase of ['scheduler start-up', 'scheduler round', 'spawn', 'git commit']) expect(report.phases[phase]?.count).toBeGreaterThanOrEqual(1)
    for (const {ms, count} of Object.values(report.phases)) {
      expect(ms).toBeGreaterThanOrEqual(0)
      expect(Number.isInteger(count)).toBe(true)
    }
  })
})
