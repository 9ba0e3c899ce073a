// Sources in error: what `dkt scheduler` finds when it checks a source reaches `dkt serve`'s pages and /metrics
// (its last error, redacted, and its backoff), through the real CLI on both sides.
import {renameSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {SourceCheck as Check} from '../../src/core/source/checks.js'
import {dktOk, startDkt, type StartedDkt} from '../helpers/cli.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {schemaErrors} from '../helpers/schemas.js'

async function until<T>(what: string, read: () => Promise<T | undefined>, process: StartedDkt): Promise<T> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const value = await read()
    if (value !== undefined) return value
  }
  throw new Error(`${what} never came: ${process.stderr}`)
}

describe('sources in error', () => {
  it('a source whose location becomes unreachable shows its error and backoff on the pages and in metrics', async () => {
    const dir = await newProject()
    // A private value that the error names (it gives the folder's absolute path): no page may show it.
    const hidden = path.basename(dir)
    writeFiles(dir, {'data/x': '1'})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    await dktOk(['config', 'set', 'my.key', hidden], {cwd: dir})
    const scheduler = startDkt(['scheduler'], {cwd: dir})
    const server = startDkt(['serve', '--port', '0'], {cwd: dir})
    try {
      const url = await until('the URL', async () => (server.stdout.includes('\n') ? server.stdout.split('\n')[0] : undefined), server)
      const json = async (page: string) => (await fetch(`${url}${page.slice(1)}`)).json()
      const checkOf = async () => ((await json('/sources/data?format=json')) as {check: Check | null}).check
      const ok = await until('a successful check', async () => {
        const check = await checkOf()
        return check?.lastSuccess ? check : undefined
      }, scheduler)
      expect(ok).toMatchObject({lastError: null, consecutiveFailures: 0, nextRetry: null, failures: 0})

      renameSync(path.join(dir, 'data'), path.join(dir, 'moved'))
      const failing = await until('a failed check', async () => {
        const check = await checkOf()
        return check && check.consecutiveFailures > 0 ? check : undefined
      }, scheduler)
      expect(failing.lastError).toMatch(/^local path `\/.*\*\*\*\/data` does not exist$/)
      expect(failing.lastSuccess).toBe(ok.lastSuccess)
      expect(Date.parse(failing.nextRetry as string)).toBeGreaterThan(Date.parse(failing.lastCheck))

      const home = (await json('/?format=json')) as {failing: {name: string; check: Check}[]}
      expect(schemaErrors('serve-home', home)).toBe('')
      expect(home.failing.map((source) => source.name)).toEqual(['data'])
      const sources = await json('/sources?format=json')
      expect(schemaErrors('serve-sources', sources)).toBe('')
      expect(schemaErrors('serve-source', await json('/sources/data?format=json'))).toBe('')

      const pages = await Promise.all(['/', '/sources', '/sources/data', '/metrics'].map(async (page) => (await fetch(`${url}${page.slice(1)}`)).text()))
      const [front, list, one, metrics] = pages
      expect(front).toContain('<h2>Sources in error</h2>')
      expect(front).toContain('***/data` does not exist')
      expect(list).toMatch(/<span class="status s-failure">error<\/span>/)
      expect(one).toContain('<dt>Backoff</dt>')
      expect(one).toMatch(/\d+ failures? in a row; next retry <time/)
      for (const page of pages) expect(page).not.toContain(hidden)

      expect(metrics).toMatch(/^dkt_source_checks_total\{kind="path"\} [2-9]\d*$/m)
      expect(metrics).toMatch(/^dkt_source_check_failures_total\{kind="path"\} [1-9]\d*$/m)
      expect(metrics).toContain(`dkt_source_last_successful_check_timestamp_seconds{source="data",kind="path"} ${Date.parse(ok.lastSuccess as string) / 1000}`)
      expect(metrics).toMatch(/^dkt_source_consecutive_check_failures\{source="data",kind="path"\} [1-9]\d*$/m)
      expect(metrics).toContain('# TYPE dkt_source_checks_total counter')
    } finally {
      scheduler.child.kill('SIGTERM')
      server.child.kill('SIGTERM')
    }
    expect(await scheduler.exited).toBe(0)
  })
})
