// The CLI around the commands: version, help, shell completion, "did you mean", source-mapped stacks, and commands
// that load a library lazily run from the code cache as well as without one.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktOk, REPO_ROOT} from '../helpers/cli.js'
import {newProject} from '../helpers/project.js'
import {tempDir} from '../helpers/tmp.js'

const {version} = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string}

describe('dkt around its commands', () => {
  it('--version names dkt, the platform and Node', async () => {
    const result = await dkt(['--version'], {cwd: tempDir()})
    expect(result).toEqual({exitCode: 0, stderr: '', stdout: `dkt/${version} ${process.platform}-${process.arch} node-${process.version}\n`})
  })

  it('--help and help list the topics and commands, help TOPIC its commands', async () => {
    const root = await dktOk(['--help'], {cwd: tempDir()})
    for (const line of [/^ {2}source +Manage data sources/m, /^ {2}autocomplete +Display autocomplete/m, /^ {2}help +Display help for dkt/m, /^ {2}status +/m]) {
      expect(root).toMatch(line)
    }
    expect(await dktOk(['help'], {cwd: tempDir()})).toBe(root)
    const topic = await dktOk(['help', 'source'], {cwd: tempDir()})
    expect(topic).toMatch(/^ {2}source list +List sources/m)
    expect(await dktOk(['source', 'list', '--help'], {cwd: tempDir()})).toMatch(/^USAGE\n {2}\$ dkt source list \[--json\] \[--refresh\]/m)
  })

  it('a mistyped command is a usage error that names the closest one', async () => {
    const dir = tempDir()
    expect(await dkt(['sourc', 'list'], {cwd: dir})).toEqual({exitCode: 2, stdout: '', stderr: ' ›   Error: command `sourc list` not found; did you mean `source list`?\n'})
    expect(await dkt(['source', 'lst'], {cwd: dir})).toMatchObject({exitCode: 2, stderr: expect.stringContaining('did you mean `source list`?')})
    // Nothing close: no guess.
    expect(await dkt(['frobnicate'], {cwd: dir})).toEqual({exitCode: 2, stdout: '', stderr: ' ›   Error: command `frobnicate` not found; see `dkt help`\n'})
  })

  it('autocomplete writes completion functions that complete topics and commands in bash', async () => {
    const dir = tempDir()
    const cacheHome = tempDir('dkt-cache-')
    const instructions = await dktOk(['autocomplete', 'bash'], {cwd: dir, env: {XDG_CACHE_HOME: cacheHome}})
    expect(instructions).toContain('dkt autocomplete script bash')
    const setup = await dktOk(['autocomplete', 'script', 'bash'], {cwd: dir, env: {XDG_CACHE_HOME: cacheHome}})
    expect(setup).toContain(path.join(cacheHome, 'dkt', 'autocomplete', 'bash_setup'))
    const functions = path.join(cacheHome, 'dkt', 'autocomplete', 'functions', 'bash', 'dkt.bash')
    const complete = (line: string) => {
      const words = line.split(' ')
      const script = `source "$1"; COMP_LINE="$2"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dkt_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}" | sort -u`
      return spawnSync('bash', ['-c', script, 'bash', functions, line], {encoding: 'utf8'}).stdout.trim().split('\n')
    }
    expect(complete('dkt sou')).toEqual(['source'])
    expect(complete('dkt source l')).toEqual(['link', 'list', 'log'])
    expect(complete('dkt source list --')).toEqual(['--json', '--refresh', '--refs'])
  })

  it('DEBUG stacks point into src/ through the source map', async () => {
    const result = await dkt(['source', 'log', 'nope'], {cwd: await newProject(), env: {DKT_DEBUG: '1'}})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^NotFoundError: source `nope` does not exist/m)
    expect(result.stderr).toContain(`(${path.join(REPO_ROOT, 'src', 'core', 'source', 'store.ts')}:`)
  })

  it('DEBUG still turns on oclif\'s debug output (the bundle loads the debug package only then)', async () => {
    const result = await dkt(['--version'], {cwd: tempDir(), env: {DEBUG: 'oclif:main'}})
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toMatch(/oclif:main process\.argv/)
  })

  it('status loads neither node:crypto nor tty: start-up pays only for what a command uses', async () => {
    const dir = await newProject()
    const report = path.join(tempDir(), 'modules.txt')
    const preload = path.join(tempDir(), 'modules.cjs')
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, process.moduleLoadList.join('\\n')))`)
    expect(await dkt(['status'], {cwd: dir, env: {NODE_OPTIONS: `--require ${preload}`}})).toMatchObject({exitCode: 0})
    const loaded = readFileSync(report, 'utf8').split('\n')
    expect(loaded).not.toContain('NativeModule crypto')
    expect(loaded).not.toContain('NativeModule tty')
  })

  it('a command that imports a library when it runs works from the code cache as on the first run', async () => {
    const dir = await newProject()
    const env = {TMPDIR: tempDir('dkt-tmp-')} // a cache of its own: the first run writes it, the next ones load it
    for (const value of ['one', 'two', 'three']) expect(await dkt(['config', 'set', 'key', value], {cwd: dir, env})).toMatchObject({exitCode: 0, stderr: ''})
    expect(await dktOk(['config', 'list'], {cwd: dir, env})).toContain('key')
    const cacheDir = path.join(env.TMPDIR, `dkt-compile-cache-${process.getuid?.()}`)
    // Node 22+ caches in its own folder (module.enableCompileCache()); Node 20 in dkt's.
    if (Number(process.versions.node.split('.')[0]) < 22) expect(existsSync(cacheDir) && readdirSync(cacheDir).some((f) => f.endsWith('.v8'))).toBe(true)
  })
})
