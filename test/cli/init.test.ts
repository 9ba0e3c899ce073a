import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktOk} from '../helpers/cli.js'
import {git, metaState} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {tempDir} from '../helpers/tmp.js'

const TOKEN = 'ghp_SUPERSECRET_0123456789'

describe('dkt init', () => {
  it('creates .dkt with its own repository, a format version and a first commit', async () => {
    const dir = tempDir()
    const result = await dkt(['init'], {cwd: dir})
    expect(result).toMatchObject({exitCode: 0, stderr: ''})
    expect(result.stdout).toBe(`Initialized empty Datakit repository in ${path.join(dir, '.dkt')}/\n`)
    const dktDir = path.join(dir, '.dkt')
    expect(readFileSync(path.join(dktDir, 'format'), 'utf8')).toBe('1\n')
    expect(readFileSync(path.join(dktDir, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['/config', '/secrets/', '/cache/']))
    expect(git(dktDir, ['log', '--format=%s'])).toBe('init')
    expect(git(dktDir, ['ls-files']).split('\n').sort()).toEqual(['.gitattributes', '.gitignore', 'format'])
    expect(git(dktDir, ['status', '--porcelain'])).toBe('')
  })

  it('refuses when .dkt exists, and changes nothing', async () => {
    const dir = await newProject()
    const before = metaState(dir)
    const result = await dkt(['init'], {cwd: dir})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^Error: a dkt project already exists in .*\.dkt\n$/)
    expect(metaState(dir)).toEqual(before)
  })

  it('commits with the deterministic dkt identity when the user has none', async () => {
    const dir = await newProject()
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%an <%ae>|%cn <%ce>'])).toBe('dkt <dkt@localhost>|dkt <dkt@localhost>')
  })

  it("commits with the user's git identity when one is configured", async () => {
    const dir = tempDir()
    const home = tempDir('dkt-home-')
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n')
    await dktOk(['init'], {cwd: dir, env: {HOME: home, XDG_CONFIG_HOME: path.join(home, '.config')}})
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%an <%ae>'])).toBe('Ada Lovelace <ada@example.com>')
  })

  it('keeps tokens in .dkt/secrets (0700/0600): never committed, never printed, ignored even by git add -A', async () => {
    const dir = tempDir()
    const result = await dkt(['init', '--github-token', TOKEN, '--s3-access-key', 'AKIAEXAMPLE', '--s3-secret-key', 'S3SECRETVALUE'], {cwd: dir})
    expect(result.exitCode).toBe(0)
    expect(result.stdout + result.stderr).not.toContain(TOKEN)
    const secrets = path.join(dir, '.dkt', 'secrets')
    expect(statSync(secrets).mode & 0o777).toBe(0o700)
    expect(statSync(path.join(secrets, 'github-token')).mode & 0o777).toBe(0o600)
    expect(readFileSync(path.join(secrets, 'github-token'), 'utf8').trim()).toBe(TOKEN)
    await dktOk(['config', 'set', 'ESX_PASS', 'hunter2-private'], {cwd: dir})

    const dktDir = path.join(dir, '.dkt')
    git(dktDir, ['add', '-A'])
    expect(git(dktDir, ['diff', '--cached', '--name-only'])).toBe('')
    expect(git(dktDir, ['log', '-p', '--all'])).not.toMatch(new RegExp(`${TOKEN}|hunter2|S3SECRETVALUE`))
  })

  it('s3 keys come in pairs', async () => {
    const result = await dkt(['init', '--s3-access-key', 'AKIAEXAMPLE'], {cwd: tempDir()})
    expect(result.exitCode).toBe(2)
  })
})

describe('finding the project', () => {
  it('walks up from a sub-folder, like git', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/deep/x.txt': 'x'})
    await dktOk(['source', 'add', 'deep', '.'], {cwd: path.join(dir, 'data', 'deep')})
    const list = await dktOk(['source', 'list'], {cwd: path.join(dir, 'data')})
    expect(list).toMatch(/^deep\s+md5:/m)
    // stored relative to the project root, so clones resolve it too
    expect(JSON.parse(readFileSync(path.join(dir, '.dkt/sources/deep.json'), 'utf8')).location).toBe('data/deep')
  })

  it.each([['source', 'list'], ['source', 'add', 'x'], ['config', 'list'], ['source', 'log', 'x']])(
    'outside a project, `dkt %s %s` says so (exit 2)',
    async (...args) => {
      const outside = tempDir()
      mkdirSync(path.join(outside, 'sub'))
      const result = await dkt(args, {cwd: path.join(outside, 'sub')})
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toMatch(/^Error: not a dkt project \(or any of the parent directories of .*\); run `dkt init` first\n$/)
      expect(existsSync(path.join(outside, '.dkt'))).toBe(false)
    },
  )
})

describe('dkt config', () => {
  it('stores private fields in .dkt/config (0600), lists keys only, never commits them', async () => {
    const dir = await newProject()
    const before = metaState(dir)
    expect(await dktOk(['config', 'set', 'ESX_USER', 'alice-private'], {cwd: dir})).toBe('ESX_USER set\n')
    await dktOk(['config', 'set', 'github.url', 'https://ghe.example.com'], {cwd: dir})
    const list = await dkt(['config', 'list'], {cwd: dir})
    expect(list.stdout).toBe('ESX_USER\ngithub.url\n')
    expect(list.stdout + list.stderr).not.toContain('alice-private')
    expect(JSON.parse(await dktOk(['config', 'list', '--json'], {cwd: dir}))).toEqual(['ESX_USER', 'github.url'])
    const file = path.join(dir, '.dkt', 'config')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ESX_USER: 'alice-private', 'github.url': 'https://ghe.example.com'})
    expect(metaState(dir)).toEqual(before)
    expect(await dktOk(['config', 'unset', 'ESX_USER'], {cwd: dir})).toBe('ESX_USER removed\n')
    expect((await dkt(['config', 'set', 'bad key', 'x'], {cwd: dir})).exitCode).toBe(2)
  })
})

describe('errors', () => {
  it('unknown flags and commands exit 2 with one line, no stack unless DEBUG', async () => {
    const dir = await newProject()
    const flag = await dkt(['source', 'list', '--bogus'], {cwd: dir})
    expect(flag.exitCode).toBe(2)
    expect(flag.stderr.trim().split('\n')).toHaveLength(1)
    const debug = await dkt(['source', 'log', 'nope'], {cwd: dir, env: {DEBUG: '1'}})
    expect(debug.exitCode).toBe(2)
    expect(debug.stderr).toMatch(/at .*\.js/)
  })

  it('errors go to stderr even with --json', async () => {
    const dir = await newProject()
    const result = await dkt(['source', 'log', 'nope', '--json'], {cwd: dir})
    expect(result).toMatchObject({exitCode: 2, stdout: ''})
    expect(result.stderr).toBe('Error: source `nope` does not exist; see `dkt source list`\n')
  })
})

