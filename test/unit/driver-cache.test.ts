import {mkdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {subcommand} from '../../src/base/git-cli.js'
import {MetaRepo} from '../../src/core/meta-repo.js'
import {projectAt} from '../../src/core/project.js'
import {writeSecrets} from '../../src/core/secrets.js'
import {driverCache} from '../../src/core/source/store.js'
import {tempDir} from '../helpers/tmp.js'

function repo(): MetaRepo {
  const project = projectAt(tempDir())
  mkdirSync(project.dktDir, {recursive: true})
  return new MetaRepo(project)
}

describe('driverCache: secrets and settings for one operation', () => {
  it('reads the secrets and settings once, for every kind', async () => {
    const meta = repo()
    await writeSecrets(meta.project, {'github-token': 'one'})
    writeFileSync(path.join(meta.project.dktDir, 'config'), JSON.stringify({KEY: 'a'}))
    const drivers = driverCache(meta)
    const git = await drivers.driverFor('git')
    expect(git.ctx.secrets['github-token']).toBe('one')
    expect(git.ctx.settings).toEqual({KEY: 'a'})
    expect(git.ctx.cacheDir).toBe(path.join(meta.project.cacheDir, 'git'))
    // Changed during the operation: not seen by it (one consistent snapshot), seen by the next one.
    await writeSecrets(meta.project, {'github-token': 'two'})
    expect((await drivers.driverFor('path')).ctx.secrets['github-token']).toBe('one')
    expect((await drivers.settings()).secrets['github-token']).toBe('one')
    expect((await driverCache(meta).driverFor('git')).ctx.secrets['github-token']).toBe('two')
  })

  it('gives each caller its own context: a driver changing it does not affect the next source', async () => {
    const meta = repo()
    const drivers = driverCache(meta)
    const first = await drivers.driverFor('path')
    first.ctx.settings.changed = 'yes'
    first.ctx.secrets['s3-access-key'] = 'x'
    const second = await drivers.driverFor('path')
    expect(second.ctx.settings).toEqual({})
    expect(second.ctx.secrets).toEqual({})
    expect(second.driver).toBe(first.driver)
  })
})

describe('subcommand', () => {
  it('names the git command, skipping options and the values of -c and -C', () => {
    expect(subcommand(['-c', 'maintenance.auto=false', 'commit', '-q'])).toBe('commit')
    expect(subcommand(['-C', 'dir', '--no-pager', 'log'])).toBe('log')
    expect(subcommand(['add', '--all', '--', 'x'])).toBe('add')
    expect(subcommand(['--version'])).toBe('')
  })
})
