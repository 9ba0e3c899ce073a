// Every command's --json output matches its JSON Schema in schemas/ (the stable machine interface).
import {writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {dktOk} from '../helpers/cli.js'
import {gitRepo} from '../helpers/git.js'
import {writeFiles} from '../helpers/project.js'
import {ajv, validators} from '../helpers/schemas.js'
import {tempDir} from '../helpers/tmp.js'

let dir: string
beforeAll(async () => {
  dir = tempDir()
  writeFiles(dir, {'data/x': '1'})
})

async function check(schema: string, args: string[], cwd = dir): Promise<void> {
  const output = JSON.parse(await dktOk([...args, '--json'], {cwd}))
  const validate = validators.get(schema)
  if (!validate) throw new Error(`no schema ${schema}`)
  expect(validate(output), `${args.join(' ')}: ${ajv.errorsText(validate.errors)}`).toBe(true)
}

// The JSON twins of `dkt serve`'s pages without a command of their own (test/web checks them).
const SERVE_TWINS = ['serve-graph', 'serve-home', 'serve-node', 'serve-run', 'serve-runs', 'serve-source', 'serve-sources']

describe('--json schemas', () => {
  it('has one schema per command and per page of dkt serve', () => {
    expect([...validators.keys()].sort()).toEqual(
      ['apply', 'clone', 'config-list', 'dkt-yml', 'export', 'config-set', 'config-unset', 'init', 'inspect', 'node-list', 'node-log', 'node-output', 'node-rerun', 'node-rm', 'node-run', 'scheduler-event', 'source-add', 'source-fetch', 'source-link', 'source-list', 'source-log', 'source-pause', 'source-pin', 'source-resume', 'source-rm', 'source-unpin', 'source-update', 'status', 'sync', 'workers', ...SERVE_TWINS].sort(),
    )
  })

  it('every command output matches its schema', async () => {
    await check('init', ['init', '--github-token', 'tok-123456'])
    await check('config-set', ['config', 'set', 'K', 'v'])
    await check('config-list', ['config', 'list'])
    await check('config-unset', ['config', 'unset', 'K'])
    await check('source-add', ['source', 'add', 'data', 'data'])
    const repo = gitRepo([{'a': '1'}])
    await check('source-add', ['source', 'add', 'app', repo.dir, '-k', 'git'])
    await check('source-list', ['source', 'list'])
    await check('source-log', ['source', 'log', 'app'])
    await check('source-pin', ['source', 'pin', 'app', repo.commits[0].slice(0, 8)])
    await check('source-pin', ['source', 'pin', 'app', repo.dir, '-k', 'git'])
    await check('source-unpin', ['source', 'unpin', 'app'])
    await check('source-pause', ['source', 'pause', 'data'])
    await check('source-resume', ['source', 'resume', 'data'])
    await check('source-update', ['source', 'update', 'data'])
    await check('source-link', ['source', 'link', `app:${repo.commits[0].slice(0, 8)}`, 'data:' + (JSON.parse(await dktOk(['source', 'list', '--json'], {cwd: dir}))[1].latest as string).slice(4, 12)])
    writeFiles(dir, {'out/.keep': '', 'go.sh': '#!/bin/sh\necho hi > "${out:ROOT}/f"\n'})
    await check('source-add', ['source', 'add', 'out', 'out'])
    const ran = JSON.parse(await dktOk(['node', 'run', '--json', '--labels', 'l', '--input', 'data', '--output', 'out', '--on-success', 'true', 'go.sh'], {cwd: dir}))
    expect(validators.get('node-run')?.(ran), ajv.errorsText(validators.get('node-run')?.errors)).toBe(true)
    await check('node-run', ['node', 'run', '--detach', '--input', 'data', 'true'])
    await check('node-list', ['node', 'list'])
    await check('node-log', ['node', 'log', ran.node.slice(0, 8)])
    await check('node-output', ['node', 'output', ran.run.id.slice(0, 8)])
    await check('node-rerun', ['node', 'rerun', ran.node.slice(0, 8), '--downstream'])
    await check('status', ['status'])
    const out = (JSON.parse(await dktOk(['source', 'list', '--json'], {cwd: dir})) as {name: string; latest: string}[]).find((s) => s.name === 'out')?.latest as string
    await check('inspect', ['inspect', `out:${out.slice(4, 12)}`])
    await check('source-fetch', ['source', 'fetch', `app:${repo.commits[0].slice(0, 8)}`, tempDir()])
    writeFileSync(path.join(dir, 'data/x'), 'changed')
    const events = (await dktOk(['scheduler', '--once', '--json'], {cwd: dir})).trim().split('\n').map((line) => JSON.parse(line))
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['version-found', 'run-started', 'run-finished']))
    for (const event of events) expect(validators.get('scheduler-event')?.(event), ajv.errorsText(validators.get('scheduler-event')?.errors)).toBe(true)
    await check('node-rm', ['node', 'rm', ran.node.slice(0, 8)])
    await check('source-rm', ['source', 'rm', 'app'])
    const parent = tempDir()
    await check('clone', ['clone', dir, 'copy'], parent)
    await check('workers', ['workers'], path.join(parent, 'copy'))
  }, 180_000) // dozens of CLI calls: over a minute on a loaded 2-core machine

  it('apply and export outputs match their schemas', async () => {
    const project = tempDir()
    writeFiles(project, {'data/x': '1', 'out/.keep': ''})
    await dktOk(['init'], {cwd: project})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: project})
    await dktOk(['source', 'add', 'out', 'out'], {cwd: project})
    await dktOk(['node', 'run', '--detach', '--input', 'data', '--output', 'out', '--', 'cp', '-r', '${data:ROOT}', '${out:ROOT}'], {cwd: project})
    await check('export', ['export'], project)
    writeFileSync(path.join(project, 'dkt.yml'), (await dktOk(['export'], {cwd: project})).replace('  out:\n', '  out:\n    paused: true\n'))
    await check('apply', ['apply', '--dry-run'], project)
  })
})
