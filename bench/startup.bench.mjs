// Startup benchmark: median wall-clock latency of `dkt source list` / `dkt source add` on a 50-source project vs. a minimal oclif CLI and `git log -1`.
import path from 'node:path'

import {
  ROOT,
  DKT_BIN,
  benchRuns,
  createDktProject,
  createMinimalOclifCli,
  dkt,
  ensureBuilt,
  formatTable,
  makeDataFolder,
  makeTempDir,
  packageVersion,
  run,
  summarize,
  writeResults,
  environment,
} from './lib.mjs'

const SOURCES = 50
const WARMUP = 2
const RUNS = benchRuns(15)

ensureBuilt()
const {dir: tmp, cleanup} = makeTempDir('dkt-bench-startup-')
try {
  main()
} finally {
  cleanup()
}

function main() {
  const t0 = performance.now()
  const projectDir = path.join(tmp, 'project')
  const miniBin = createMinimalOclifCli(path.join(tmp, 'minimal-oclif'))

  process.stdout.write(`startup: creating a project with ${SOURCES} path sources in ${tmp} ... `)
  createDktProject(projectDir, SOURCES)
  process.stdout.write(`done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)

  // Every source add gets a new name over a new folder (untimed), and is removed again (untimed) so that each
  // timed command sees exactly SOURCES sources.
  const benchData = path.join(projectDir, 'bench-data')
  let added = 0
  const cases = [
    {key: 'minimal_oclif', label: 'minimal oclif (hello)', command: 'node <tmp>/minimal-oclif/bin/run.js hello', time: () => run(process.execPath, [miniBin, 'hello'], {cwd: projectDir})},
    {key: 'git_log', label: 'git -C .dkt log -1', command: 'git -C .dkt log -1', time: () => run('git', ['-C', '.dkt', 'log', '-1'], {cwd: projectDir})},
    {key: 'source_list', label: `dkt source list (${SOURCES} sources)`, command: 'node bin/run.js source list', time: () => dkt(['source', 'list'], projectDir)},
    {
      key: 'source_add',
      label: `dkt source add (${SOURCES} sources)`,
      command: 'node bin/run.js source add bench-N ./bench-data/bench-N',
      time: () => {
        const name = `bench-${added++}`
        makeDataFolder(benchData, name)
        const result = dkt(['source', 'add', name, `./bench-data/${name}`], projectDir)
        dkt(['source', 'rm', name], projectDir)
        return result
      },
    },
  ]

  // Sanity checks, once, untimed: the commands do what we think they do.
  const hello = run(process.execPath, [miniBin, 'hello'], {cwd: projectDir}).stdout.trim()
  if (hello !== 'hello') throw new Error(`minimal oclif CLI printed ${JSON.stringify(hello)}, expected "hello"`)
  const listed = dkt(['source', 'list'], projectDir).stdout.split('\n').filter((l) => l.startsWith('src-')).length
  if (listed !== SOURCES) throw new Error(`dkt source list shows ${listed} sources, expected ${SOURCES}`)

  // Rounds are interleaved (each round runs every case once), so drift in machine load hits all cases alike.
  const samples = Object.fromEntries(cases.map((c) => [c.key, []]))
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const c of cases) {
      const {ms} = c.time()
      if (round >= WARMUP) samples[c.key].push(ms)
    }
  }

  const commands = Object.fromEntries(cases.map((c) => [c.key, {label: c.label, command: c.command, ...summarize(samples[c.key])}]))
  const med = (key) => commands[key].median_ms
  const ratio = (a, b) => Math.round((med(a) / med(b)) * 100) / 100
  const ratios = {
    'source_list/minimal_oclif': ratio('source_list', 'minimal_oclif'),
    'source_list/git_log': ratio('source_list', 'git_log'),
    'source_add/minimal_oclif': ratio('source_add', 'minimal_oclif'),
    'source_add/git_log': ratio('source_add', 'git_log'),
  }

  const results = {
    benchmark: 'startup',
    date: new Date().toISOString(),
    environment: environment({oclif_core: packageVersion(path.join(ROOT, 'node_modules', '@oclif', 'core'))}),
    config: {runs: RUNS, warmup: WARMUP, sources: SOURCES, dkt_bin: path.relative(ROOT, DKT_BIN)},
    commands,
    ratios,
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
  }
  const file = writeResults('startup', results)

  const fmt = (x) => x.toFixed(1)
  console.log(`\nstartup: ${RUNS} runs (+${WARMUP} warmup), median wall clock, spawn to exit`)
  console.log(
    formatTable([
      ['command', 'median ms', 'min ms', 'max ms'],
      ...cases.map((c) => [c.label, fmt(med(c.key)), fmt(commands[c.key].min_ms), fmt(commands[c.key].max_ms)]),
    ]),
  )
  console.log('')
  console.log(
    formatTable([
      ['ratio (of medians)', 'x'],
      ['source list / minimal oclif', ratios['source_list/minimal_oclif'].toFixed(2)],
      ['source list / git log -1', ratios['source_list/git_log'].toFixed(2)],
      ['source add / minimal oclif', ratios['source_add/minimal_oclif'].toFixed(2)],
      ['source add / git log -1', ratios['source_add/git_log'].toFixed(2)],
    ]),
  )
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
}
