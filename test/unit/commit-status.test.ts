import {afterEach, describe, expect, it} from 'vitest'

import {statusContext, statusOf} from '../../src/core/commit-status/report.js'
import type {NodeDef} from '../../src/core/model/node.js'
import type {RunRecord} from '../../src/core/model/run.js'
import {githubApiUrl, githubRepository} from '../../src/kinds/github/base-url.js'

const node = {id: 'ab12cd34'.padEnd(64, '0'), inputs: ['app']} as NodeDef
const run = (extra: Partial<RunRecord>) =>
  ({id: 'ef56'.padEnd(64, '1'), node: node.id, status: 'running', exitCode: null, reason: null, startedAt: '2026-01-02T03:04:05.000Z', endedAt: null, ...extra}) as RunRecord

describe('where a github source lives', () => {
  afterEach(() => {
    delete process.env.DKT_GITHUB_URL
  })

  it('finds owner/repo under the configured server or github.com', () => {
    expect(githubRepository('https://github.com/team/app', {})).toEqual({owner: 'team', repo: 'app'})
    expect(githubRepository('https://github.com/team/app.git', {})).toEqual({owner: 'team', repo: 'app'})
    expect(githubRepository('https://ghe.example.com/team/app', {'github.url': 'https://ghe.example.com/'})).toEqual({owner: 'team', repo: 'app'})
    expect(githubRepository('https://gitlab.com/team/app', {})).toBeUndefined()
    expect(githubRepository('https://github.com/team/app/extra', {})).toBeUndefined()
    expect(githubRepository('/local/team/app', {})).toBeUndefined()
  })

  it('takes the API from github.api-url, else the one that goes with github.url', () => {
    expect(githubApiUrl({})).toBe('https://api.github.com')
    expect(githubApiUrl({'github.url': 'https://ghe.example.com'})).toBe('https://ghe.example.com/api/v3')
    expect(githubApiUrl({'github.url': 'git://127.0.0.1:9418', 'github.api-url': 'http://127.0.0.1:8080/'})).toBe('http://127.0.0.1:8080')
    process.env.DKT_GITHUB_URL = 'https://env.example.com'
    expect(githubApiUrl({})).toBe('https://env.example.com/api/v3')
  })
})

describe('the status of a run', () => {
  it('is pending while it runs, then its outcome with duration and exit code; cancelled is an error', () => {
    expect(statusContext(node)).toBe('dkt/ab12cd34')
    expect(statusOf(node, run({}), undefined)).toEqual({state: 'pending', context: 'dkt/ab12cd34', description: 'running since 03:04:05 UTC (run ef561111)'})
    const ended = {endedAt: '2026-01-02T03:04:17.250Z'}
    expect(statusOf(node, run({...ended, status: 'failure', exitCode: 2}), undefined).description).toBe('failure in 12.3 s (exit 2)')
    expect(statusOf(node, run({...ended, status: 'cancelled', reason: 'cancelled by the user'}), undefined)).toMatchObject({state: 'error', description: 'cancelled in 12.3 s: cancelled by the user'})
  })

  it('links to the run page of the public URL when there is one', () => {
    const status = statusOf(node, run({status: 'success', exitCode: 0, endedAt: '2026-01-02T03:04:06.000Z'}), 'https://ci.example.com/dkt/')
    expect(status).toMatchObject({state: 'success', description: 'success in 1.0 s (exit 0)', targetUrl: `https://ci.example.com/dkt/runs/${node.id}/${'ef56'.padEnd(64, '1')}`})
  })
})
