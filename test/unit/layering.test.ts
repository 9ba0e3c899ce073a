// The architecture, checked: the core library and the drivers never print, exit, read argv/cwd or import the CLI.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../helpers/cli.js'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : []
  })
}

const LIBRARY = ['src/core', 'src/kinds', 'src/scheduler', 'src/exec'].flatMap((dir) => sources(path.join(REPO_ROOT, dir)))

describe('layering', () => {
  it.each(LIBRARY.map((file) => [path.relative(REPO_ROOT, file), file]))('%s stays a library', (_rel, file) => {
    const code = readFileSync(file, 'utf8')
    expect(code).not.toMatch(/from '@oclif\/core'|from '\.\.\/.*cli\//)
    expect(code).not.toMatch(/console\.|process\.exit|process\.argv|process\.cwd\(|process\.stdout|process\.stderr/)
  })

  it('every module opens with a one-line purpose comment', () => {
    const all = sources(path.join(REPO_ROOT, 'src')).filter((f) => !f.includes(`${path.sep}commands${path.sep}`))
    const missing = all.filter((file) => !readFileSync(file, 'utf8').startsWith('//'))
    expect(missing.map((f) => path.relative(REPO_ROOT, f))).toEqual([])
  })
})
