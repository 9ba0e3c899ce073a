// Faults a user or a crash leaves in a project (issue 11, defects 1-7): each names what is wrong and how to fix it,
// and none loses, hides or smuggles metadata.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk, RUN_JS, testEnv} from '../helpers/cli.js'
import {waitFor} from '../helpers/git-daemon.js'
import {git, metaState} from '../helpers/git.js'
import {newProject, writeFiles} from '../helpers/project.js'
import {tempDir} from '../helpers/tmp.js'

/** A project with a path source `cs`, a node reading it and writing source `out`, one run done. */
async function projectWithRun(): Promise<{dir: string; outVersion: string}> {
  const dir = await newProject()
  writeFiles(dir, {'cs/a': '1', 'out/.keep': ''})
  await dktOk(['source', 'add', 'cs', 'cs'], {cwd: dir})
  await dktOk(['source', 'add', 'out', 'out'], {cwd: dir})
  await dktOk(['node', 'run', '--input', 'cs', '--output', 'out', '--', 'sh', '-c', 'cat "$cs_ROOT/a" > "$out_ROOT/b"'], {cwd: dir})
  const [out] = (await dktJson<{name: string; latest: string}[]>(['source', 'list'], {cwd: dir})).filter((s) => s.name === 'out')
  return {dir, outVersion: out.latest}
}

const meta = (dir: string, rel: string) => path.join(dir, '.dkt', rel)

describe('broken metadata files', () => {
  let dir: string
  let outVersion: string
  beforeAll(async () => {
    ;({dir, outVersion} = await projectWithRun())
  })

  it('defect 3: a hand-edited sources/NAME.json with a syntax error names the file', async () => {
    const file = meta(dir, 'sources/cs.json')
    const good = readFileSync(file, 'utf8')
    writeFileSync(file, '{"format": 1 "name": "cs"}')
    try {
      const sentence = /^Error: `\.dkt\/sources\/cs\.json` is not valid JSON \(line 1, column 14\); fix it or restore it with `git -C \.dkt checkout -- sources\/cs\.json`\n$/
      for (const args of [['source', 'list'], ['status'], ['inspect', `out:${outVersion.slice(4, 12)}`]]) {
        const result = await dkt(args, {cwd: dir})
        expect({args, stderr: result.stderr, exitCode: result.exitCode}).toEqual({args, stderr: expect.stringMatching(sentence), exitCode: 1})
      }
      // The hint works as written.
      git(path.join(dir, '.dkt'), ['checkout', '--', 'sources/cs.json'])
      expect(readFileSync(file, 'utf8')).toBe(good)
      await dktOk(['inspect', `out:${outVersion.slice(4, 12)}`], {cwd: dir})
    } finally {
      writeFileSync(file, good)
    }
  })

  it('defect 3: a broken nodes/ID.json or runs/NODE/RUN.json names the file too', async () => {
    const dkt_ = path.join(dir, '.dkt')
    for (const rel of git(dkt_, ['ls-files', 'nodes', 'runs']).trim().split('\n').filter((f) => f.endsWith('.json'))) {
      const good = readFileSync(meta(dir, rel), 'utf8')
      writeFileSync(meta(dir, rel), good.slice(0, 10))
      try {
        const result = await dkt(['status'], {cwd: dir})
        expect(result.exitCode).toBe(1)
        expect(result.stderr).toContain(`\`.dkt/${rel}\` is not valid JSON (line `)
        expect(result.stderr).toMatch(new RegExp(`column \\d+\\); fix it or restore it with \`git -C \\.dkt checkout -- ${rel}\`\n$`))
      } finally {
        writeFileSync(meta(dir, rel), good)
      }
    }
  })
})

describe('broken private files', () => {
  it('defect 3: a hand-edited .dkt/config with a syntax error names the file (git cannot restore it)', async () => {
    const dir = await newProject()
    await dktOk(['config', 'set', 'TOKEN', 'x'], {cwd: dir})
    writeFileSync(meta(dir, 'config'), '{"TOKEN": "x",}')
    const result = await dkt(['node', 'run', '--', 'echo', '${TOKEN}'], {cwd: dir})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^Error: `\.dkt\/config` is not valid JSON \(line 1, column \d+\); fix it, or remove it and set its fields again with `dkt config set`\n/)
  })
})

describe('torn JSON-lines files', () => {
  it('defect 5: a torn last line of versions/NAME.jsonl is ignored by readers and dropped by the next writer', async () => {
    const {dir, outVersion} = await projectWithRun()
    const file = meta(dir, 'versions/cs.jsonl')
    const good = readFileSync(file, 'utf8')
    appendFileSync(file, '{"version":"md5:0123456789abcdef0123456789abcdef","obs')
    for (const args of [['source', 'list'], ['status'], ['inspect', `out:${outVersion.slice(4, 12)}`]]) {
      const result = await dkt(args, {cwd: dir})
      expect({args, exitCode: result.exitCode}).toEqual({args, exitCode: 0})
      expect(result.stderr).toBe('Warning: `.dkt/versions/cs.jsonl` ends with a torn line (a writer was interrupted); it is ignored, and the next change to this file drops it\n')
    }
    // The next writer of that file drops the torn line under the lock and appends whole lines after it.
    writeFiles(dir, {'cs/a': '2'})
    await dktOk(['source', 'update', 'cs'], {cwd: dir})
    const lines = readFileSync(file, 'utf8')
    expect(lines.startsWith(good)).toBe(true)
    expect(lines.slice(good.length).split('\n')).toHaveLength(2)
    expect(metaState(dir).status).toBe('')
    expect((await dkt(['source', 'list'], {cwd: dir})).stderr).toBe('')
  })

  it('defect 5: a broken line in the middle of versions/NAME.jsonl names the file and the line', async () => {
    const {dir} = await projectWithRun()
    const file = meta(dir, 'versions/cs.jsonl')
    writeFileSync(file, `{"version":"md5:x","obs\n${readFileSync(file, 'utf8')}`)
    const result = await dkt(['source', 'list'], {cwd: dir})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^Error: `\.dkt\/versions\/cs\.jsonl` line 1 is not valid JSON \(column \d+\); fix it or restore it with `git -C \.dkt checkout -- versions\/cs\.jsonl`\n$/)
  })
})

describe('names', () => {
  it('defect 7: a 10,000-character source name is a bad-input sentence (exit 2), not ENAMETOOLONG', async () => {
    const dir = await newProject()
    writeFiles(dir, {'data/x': '1'})
    const before = metaState(dir)
    const result = await dkt(['source', 'add', 'n'.repeat(10_000), 'data'], {cwd: dir})
    expect(result).toEqual({stdout: '', stderr: `Error: a source name can be at most 200 bytes long; \`${'n'.repeat(20)}…\` has 10000\n`, exitCode: 2})
    expect(metaState(dir)).toEqual(before)
    // The limit counts bytes (what the filesystem counts), and the longest name allowed works end to end.
    expect((await dkt(['source', 'add', 'é'.repeat(101), 'data'], {cwd: dir})).exitCode).toBe(2)
    await dktOk(['source', 'add', 'n'.repeat(200), 'data'], {cwd: dir})
    await dktOk(['source', 'update', 'n'.repeat(200)], {cwd: dir})
  })
})

describe('finding the project', () => {
  it('defect 4: a .dkt/ without its format file is a broken project with a sentence saying how to restore it', async () => {
    const dir = await newProject()
    rmSync(meta(dir, 'format'))
    const dktDir = path.join(dir, '.dkt')
    for (const args of [['source', 'list'], ['status'], ['source', 'add', 'x', '.']]) {
      const result = await dkt(args, {cwd: dir})
      expect({args, result}).toEqual({
        args,
        result: {stdout: '', stderr: `Error: \`${dktDir}\` has no \`format\` file, so the project is broken; restore it with \`git -C ${dktDir} checkout -- format\`\n`, exitCode: 1},
      })
    }
    expect((await dkt(['init'], {cwd: dir})).stderr).toMatch(/already exists/)
    git(dktDir, ['checkout', '--', 'format'])
    await dktOk(['source', 'list'], {cwd: dir})
  })

  it('defect 4: in a project nested inside another, the innermost .dkt/ wins and is never skipped', async () => {
    const outer = await newProject()
    const inner = path.join(outer, 'inner')
    writeFiles(outer, {'inner/data/x': '1'})
    await dktOk(['init'], {cwd: inner})
    const outerBefore = metaState(outer)
    await dktOk(['source', 'add', 'data', '.'], {cwd: path.join(inner, 'data')})
    expect(existsSync(meta(inner, 'sources/data.json'))).toBe(true)
    // Broken, the inner project stops the command; the outer one is never written instead.
    rmSync(meta(inner, 'format'))
    const result = await dkt(['source', 'add', 'other', 'data'], {cwd: inner})
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(`\`${path.join(inner, '.dkt')}\` has no \`format\` file`)
    expect(metaState(outer)).toEqual(outerBefore)
  })
})

/** Starts dkt in a process group of its own (with the git it spawns) and kills the whole group with SIGKILL once `ready`. */
async function killWhen(args: string[], cwd: string, ready: () => boolean): Promise<void> {
  const child = spawn(process.execPath, [RUN_JS, ...args], {cwd, env: testEnv(), stdio: 'ignore', detached: true})
  const exited = new Promise((resolve) => child.on('close', resolve))
  try {
    await waitFor(ready, `dkt ${args.join(' ')} to reach its crash point`, 20_000)
  } finally {
    process.kill(-(child.pid as number), 'SIGKILL')
    await exited
  }
}

describe('crashes', () => {
  it('defect 6: a `dkt node run` killed mid-run is interrupted (due again) for `status`, not running', async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1'})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    const started = path.join(dir, 'started')
    await killWhen(['node', 'run', '--input', 'a', '--', 'sh', '-c', `touch ${started}; sleep 60`], dir, () => existsSync(started))
    const statuses = await dktJson<{state: string; due: boolean; reasons: string[]}[]>(['status'], {cwd: dir})
    expect(statuses).toMatchObject([{state: 'due', due: true, reasons: ['interrupted last time']}])
    expect(await dktOk(['status'], {cwd: dir})).toContain('interrupted last time')
  })

  it("defect 1: a kill while git holds its ref locks leaves a project the next command uses (git's lock files removed)", async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1', 'b/x': '2', 'c/x': '3'})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    const dktDir = path.join(dir, '.dkt')
    const before = metaState(dir)
    // git holds HEAD.lock and refs/heads/main.lock from `prepared` until `committed`.
    const hook = path.join(dktDir, '.git', 'hooks', 'reference-transaction')
    writeFileSync(hook, '#!/bin/sh\ncat >/dev/null\n[ "$1" = prepared ] && sleep 60\nexit 0\n')
    chmodSync(hook, 0o755)
    const branchLock = path.join(dktDir, '.git', git(dktDir, ['symbolic-ref', 'HEAD']).trim() + '.lock')
    await killWhen(['source', 'add', 'b', 'b'], dir, () => existsSync(branchLock))
    rmSync(hook)
    expect(existsSync(branchLock)).toBe(true)
    expect(existsSync(path.join(dktDir, '.git', 'HEAD.lock'))).toBe(true)

    await dktOk(['source', 'add', 'c', 'c'], {cwd: dir})
    expect(git(dktDir, ['log', '--format=%s'])).toMatch(/^source add c .*\nsource add a /)
    expect(git(dktDir, ['show', '--name-only', '--format=', 'HEAD']).trim().split('\n').sort()).toEqual(['sources/c.json', 'versions/c.jsonl'])
    expect(metaState(dir)).toMatchObject({status: '', commits: before.commits + 1})
    expect(existsSync(branchLock)).toBe(false)
    git(dktDir, ['fsck', '--strict', '--no-progress'])
  })

  it('defect 1: a kill at git\'s `committed` point keeps the commit made and leaves a project the next command uses', async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1', 'b/x': '2', 'c/x': '3'})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    const dktDir = path.join(dir, '.dkt')
    const hook = path.join(dktDir, '.git', 'hooks', 'reference-transaction')
    const reached = path.join(dir, 'reached')
    writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\n[ "$1" = committed ] && touch ${reached} && sleep 60\nexit 0\n`)
    chmodSync(hook, 0o755)
    await killWhen(['source', 'add', 'b', 'b'], dir, () => existsSync(reached))
    rmSync(hook)
    await dktOk(['source', 'add', 'c', 'c'], {cwd: dir})
    expect(git(dktDir, ['log', '--format=%s'])).toMatch(/^source add c .*\nsource add b .*\nsource add a /)
    expect(git(dktDir, ['show', '--name-only', '--format=', 'HEAD']).trim().split('\n').sort()).toEqual(['sources/c.json', 'versions/c.jsonl'])
    expect(metaState(dir).status).toBe('')
    expect((await dktJson<{name: string}[]>(['source', 'list'], {cwd: dir})).map((s) => s.name)).toEqual(['a', 'b', 'c'])
    git(dktDir, ['fsck', '--strict', '--no-progress'])
  })

  it('a real index behind HEAD (a power cut, no lock held) does not make the next commit revert files', async () => {
    const dir = await newProject()
    writeFiles(dir, {'a/x': '1', 'b/x': '2'})
    await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
    const dktDir = path.join(dir, '.dkt')
    const older = git(dktDir, ['rev-parse', 'HEAD']).trim()
    await dktOk(['source', 'add', 'b', 'b'], {cwd: dir})
    // The index as an older commit left it: `source add b` is not in it.
    git(dktDir, ['read-tree', older])
    await dktOk(['source', 'add', 'c', 'a'], {cwd: dir})
    expect(git(dktDir, ['diff', '--name-only', 'HEAD~1', 'HEAD']).trim().split('\n')).toEqual(['sources/c.json', 'versions/c.jsonl'])
    expect(git(dktDir, ['ls-tree', '-r', '--name-only', 'HEAD', 'sources']).trim().split('\n')).toEqual(['sources/a.json', 'sources/b.json', 'sources/c.json'])
    expect(metaState(dir).status).toBe('')
  })
})

const PAGE = 4096

describe('a full disk', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'defect 2: a commit that fails on a full disk leaves nothing staged, and the next command commits only its own files',
    async () => {
      const mount = tempDir('dkt-full-')
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount])
      try {
        const dir = path.join(mount, 'project')
        mkdirSync(dir)
        await dktOk(['init'], {cwd: dir})
        writeFiles(dir, {'a/x': '1', 'b/x': '2', 'c/x': '3'})
        await dktOk(['source', 'add', 'a', 'a'], {cwd: dir})
        const before = metaState(dir)
        const filler = path.join(mount, 'filler')
        // Every crash point of a commit: the disk fills up with 0, 1, 2, … pages left for the command.
        const failures: string[] = []
        for (let free = 0; free <= 24; free++) {
          spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], {stdio: 'ignore'})
          const full = readFileSync(filler).length
          truncateSync(filler, Math.max(0, full - free * PAGE))
          const result = await dkt(['source', 'add', 'b', 'b'], {cwd: dir})
          rmSync(filler)
          if (result.exitCode === 0) break
          failures.push(result.stderr)
          expect({free, exitCode: result.exitCode, stderr: result.stderr}).toEqual({free, exitCode: 1, stderr: expect.stringMatching(/^Error: the disk holding \S+ is full: nothing was recorded; free some space and run the command again[^\n]*\n$/)})
          expect({free, state: metaState(dir)}).toEqual({free, state: before})
        }
        expect(failures.length).toBeGreaterThan(3)
        await dktOk(['source', 'add', 'c', 'c'], {cwd: dir})
        const dktDir = path.join(dir, '.dkt')
        const last = git(dktDir, ['show', '--name-only', '--format=%s', 'HEAD']).trim().split('\n').filter(Boolean)
        expect(last[0]).toMatch(/^source add c /)
        expect(last.slice(1).sort()).toEqual(['sources/c.json', 'versions/c.jsonl'])
        git(dktDir, ['fsck', '--strict', '--no-progress'])
      } finally {
        execFileSync('umount', ['-l', mount])
      }
    },
  )
})
