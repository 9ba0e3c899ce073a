import {afterEach, describe, expect, it} from 'vitest'

import {redact, redactUrlCredentials} from '../../src/base/redact.js'
import {credentialEnv} from '../../src/kinds/git/mirror.js'

const ctx = (settings: Record<string, string> = {}) => ({cacheDir: '/c', baseDir: '/b', secrets: {'github-token': 'tok_ABCDEF'}, settings})

describe('the GitHub token reaches git only for the GitHub host, and never in argv or URLs', () => {
  afterEach(() => {
    delete process.env.DKT_GITHUB_URL
  })

  it('is sent as an http.extraHeader through GIT_CONFIG_* for https://github.com', () => {
    const env = credentialEnv('https://github.com/docker/pinata', ctx())
    expect(env).toMatchObject({GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader'})
    expect(Buffer.from(env.GIT_CONFIG_VALUE_0.replace('Authorization: Basic ', ''), 'base64').toString()).toBe('x-access-token:tok_ABCDEF')
  })

  it('is not sent to other hosts, to look-alike hosts or over plain git://', () => {
    expect(credentialEnv('https://gitlab.com/docker/pinata', ctx())).toEqual({})
    expect(credentialEnv('https://github.com.evil.example/x/y', ctx())).toEqual({})
    expect(credentialEnv('git://github.com/docker/pinata', ctx())).toEqual({})
  })

  it('follows a GitHub Enterprise base URL', () => {
    expect(credentialEnv('https://ghe.example.com/a/b', ctx({'github.url': 'https://ghe.example.com'}))).not.toEqual({})
    expect(credentialEnv('https://github.com/a/b', ctx({'github.url': 'https://ghe.example.com'}))).toEqual({})
  })
})

describe('redaction', () => {
  it('hides URL credentials and known secret values', () => {
    expect(redactUrlCredentials('fatal: https://user:tok@host/x failed')).toBe('fatal: https://***@host/x failed')
    expect(redact('token tok_ABCDEF leaked', ['tok_ABCDEF'])).toBe('token *** leaked')
  })
})
