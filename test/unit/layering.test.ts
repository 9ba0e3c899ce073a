// The architecture, checked: imports flow one way (commands → cli → scheduler → core → kinds, exec → base), and the
// library layers never print, exit, read argv/cwd or import the CLI.
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

/** Each layer of src/ and the layers it may import besides itself; anything not listed runs back up. */
const MAY_IMPORT: Record<string, string[]> = {
  commands: ['cli', 'web', 'scheduler', 'core', 'kinds', 'exec', 'base'],
  cli: ['web', 'scheduler', 'core', 'kinds', 'exec', 'base'],
  web: ['core', 'kinds', 'exec', 'base'],
  scheduler: ['core', 'kinds', 'exec', 'base'],
  core: ['kinds', 'exec', 'base'],
  kinds: ['base'],
  exec: ['base'],
  base: [],
}

const SRC = path.join(REPO_ROOT, 'src')
const layerOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]
const ALL = sources(SRC)
const LIBRARY = ALL.filter((file) => ['core', 'kinds', 'scheduler', 'exec', 'base', 'web'].includes(layerOf(file)))

/** The src/ files a module imports (static imports, re-exports and dynamic `import()`). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
  const specifiers = [...code.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) => match[1])
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier))
}

describe('layering', () => {
  it('imports flow one way: no layer imports a layer above it', () => {
    const backwards: string[] = []
    for (const file of ALL) {
      const from = layerOf(file)
      if (from.endsWith('.ts')) continue // src/index.ts, the library entry, sits above everything
      for (const target of importsOf(file)) {
        const to = layerOf(target)
        if (to !== from && !MAY_IMPORT[from]?.includes(to)) {
          backwards.push(`${path.relative(REPO_ROOT, file)} → ${path.relative(REPO_ROOT, target)}`)
        }
      }
    }
    expect(backwards).toEqual([])
  })

  it('every folder of src/ is a known layer', () => {
    const layers = new Set(ALL.map(layerOf).filter((layer) => !layer.endsWith('.ts')))
    expect([...layers].filter((layer) => !(layer in MAY_IMPORT))).toEqual([])
  })

  it('the layering rule itself catches an arrow that runs back up', () => {
    expect(MAY_IMPORT.kinds.includes('core')).toBe(false)
    expect(MAY_IMPORT.core.includes('scheduler')).toBe(false)
    expect(MAY_IMPORT.base).toEqual([])
  })

  it.each(LIBRARY.map((file) => [path.relative(REPO_ROOT, file), file]))('%s stays a library', (_rel, file) => {
    const code = readFileSync(file, 'utf8')
    expect(code).not.toMatch(/from '@oclif\/core'|from '\.\.\/.*cli\//)
    expect(code).not.toMatch(/console\.|process\.exit|process\.argv|process\.cwd\(|process\.stdout|process\.stderr/)
  })

  it('every module opens with a one-line purpose comment', () => {
    const all = ALL.filter((f) => !f.includes(`${path.sep}commands${path.sep}`))
    const missing = all.filter((file) => !readFileSync(file, 'utf8').startsWith('//'))
    expect(missing.map((f) => path.relative(REPO_ROOT, f))).toEqual([])
  })
})
