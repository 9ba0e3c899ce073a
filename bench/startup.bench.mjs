// Startup benchmark: median wall-clock latency of everyday dkt commands next to `node -e 0` (the floor of any Node
// program), a minimal oclif CLI and `git log -1`, on a 50-source / 50-node project and a 1,600-commit git source.
import {spawnSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {
  ROOT,
  DKT_BIN,
  benchRuns,
  createDktProject,
  createMinimalOclifCli,
  dkt,
  ensureBuilt,
  envInt,
  formatTable,
  GIT_IDENTITY,
  makeDataFolder,
  makeTempDir,
  packageVersion,
  run,
  summarize,
  writeResults,
  environment,
} from './lib.mjs'

const SOURCES = 50
const NODES = 50
const HISTORY = envInt('BENCH_HISTORY_COMMITS', 1600, 1)
const WARMUP = 2
const RUNS = benchRuns(15)
/** dkt's target: each of these commands within this many times `node -e 0`. */
const FLOOR_TARGET = 4
/** `source log` of the whole history within this many times `dkt --version`. */
const LOG_TARGET = 2

// A CA bundle in NODE_EXTRA_CA_CERTS is read and parsed by every Node process at start (~60 ms here): it would be
// added to the floor and to every command alike and hide what dkt itself costs. Every timed process runs without it.
const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS
delete process.env.NODE_EXTRA_CA_CERTS

ensureBuilt()
const {dir: tmp, cleanup} = makeTempDir('dkt-bench-startup-')
try {
  main()
} finally {
  cleanup()
}

/**
 * A git repository of `count` commits on `main`, written in one `git fast-import` stream: each commit edits one of
 * a few files in a few folders (a small project's shape), so `rev-list` walks real trees.
 */
function createHistoryRepo(dir, count) {
  mkdirSync(dir, {recursive: true})
  run('git', ['init', '-q', '-b', 'main', dir])
  const lines = []
  const start = 1_600_000_000
  for (let i = 1; i <= count; i++) {
    const file = `${['src', 'docs', 'test'][i % 3]}/file-${i % 40}.txt`
    const content = `commit ${i}\n`
    const message = `change ${file} (${i})\n`
    lines.push(
      'commit refs/heads/main',
      `mark :${i}`,
      `committer dkt <dkt@localhost> ${start + i * 60} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
      ...(i > 1 ? [`from :${i - 1}`] : []),
      `M 100644 inline ${file}`,
      `data ${Buffer.byteLength(content)}`,
      content,
    )
  }
  const imported = spawnSync('git', ['fast-import', '--quiet'], {cwd: dir, input: lines.join('\n') + '\n', encoding: 'utf8'})
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`)
  run('git', ['reset', '-q', '--hard', 'main'], {cwd: dir, env: {...process.env, ...GIT_IDENTITY}})
}

/** Node i reads source src-i and runs a trivial command once, so that `dkt status` finds nothing due. */
function addNodes(projectDir, count) {
  for (let i = 0; i < count; i++) dkt(['node', 'run', '--input', `src-${i}`, '--', 'sh', '-c', `exit 0 # node ${i}`], projectDir)
}

function main() {
  const t0 = performance.now()
  const projectDir = path.join(tmp, 'project')
  const historyProject = path.join(tmp, 'history-project')
  const historyRepo = path.join(tmp, 'history')
  const miniBin = createMinimalOclifCli(path.join(tmp, 'minimal-oclif'))

  process.stdout.write(`startup: creating a project with ${SOURCES} path sources and ${NODES} nodes, and a ${HISTORY}-commit git source, in ${tmp} ... `)
  createDktProject(projectDir, SOURCES)
  addNodes(projectDir, NODES)
  createHistoryRepo(historyRepo, HISTORY)
  mkdirSync(historyProject, {recursive: true})
  dkt(['init'], historyProject)
  dkt(['source', 'add', 'history', historyRepo, '-k', 'git'], historyProject)
  process.stdout.write(`done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)

  // Every source add gets a new name over a new folder (untimed), and is removed again (untimed) so that each
  // timed command sees exactly SOURCES sources.
  const benchData = path.join(projectDir, 'bench-data')
  let added = 0
  const cases = [
    {key: 'node_floor', label: 'node -e 0', command: 'node -e 0', time: () => run(process.execPath, ['-e', '0'], {cwd: projectDir})},
    {key: 'minimal_oclif', label: 'minimal oclif (hello)', command: 'node <tmp>/minimal-oclif/bin/run.js hello', time: () => run(process.execPath, [miniBin, 'hello'], {cwd: projectDir})},
    {key: 'git_log', label: 'git -C .dkt log -1', command: 'git -C .dkt log -1', time: () => run('git', ['-C', '.dkt', 'log', '-1'], {cwd: projectDir})},
    {key: 'version', label: 'dkt --version', command: 'node bin/run.js --version', time: () => dkt(['--version'], projectDir)},
    {key: 'source_list', label: `dkt source list (${SOURCES} sources)`, command: 'node bin/run.js source list', time: () => dkt(['source', 'list'], projectDir)},
    {key: 'status', label: `dkt status (${NODES} nodes, none due)`, command: 'node bin/run.js status', time: () => dkt(['status'], projectDir)},
    {key: 'node_list', label: `dkt node list (${NODES} nodes)`, command: 'node bin/run.js node list', time: () => dkt(['node', 'list'], projectDir)},
    {key: 'source_log', label: `dkt source log (${HISTORY} commits)`, command: 'node bin/run.js source log history', time: () => dkt(['source', 'log', 'history'], historyProject)},
    {key: 'git_log_history', label: `git log --format=%H (${HISTORY} commits)`, command: 'git log --format=%H main', time: () => run('git', ['log', '--format=%H', 'main'], {cwd: historyRepo})},
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
  const version = dkt(['--version'], projectDir).stdout
  if (!version.startsWith(`dkt/${packageVersion(ROOT)}`)) throw new Error(`dkt --version printed ${JSON.stringify(version)}`)
  const listed = dkt(['source', 'list'], projectDir).stdout.split('\n').filter((l) => l.startsWith('src-')).length
  if (listed !== SOURCES) throw new Error(`dkt source list shows ${listed} sources, expected ${SOURCES}`)
  const status = dkt(['status'], projectDir).stdout
  if (!status.startsWith('nothing to run')) throw new Error(`dkt status found something to run:\n${status.slice(0, 500)}`)
  const nodeRows = dkt(['node', 'list'], projectDir).stdout.split('\n').filter((l) => l.includes('exit 0 # node')).length
  if (nodeRows !== NODES) throw new Error(`dkt node list shows ${nodeRows} nodes, expected ${NODES}`)
  const logRows = dkt(['source', 'log', 'history'], historyProject).stdout.split('\n').filter((l) => / sha1:[0-9a-f]{40}$/.test(l)).length
  if (logRows !== HISTORY) throw new Error(`dkt source log shows ${logRows} versions, expected ${HISTORY}`)

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
  const overFloor = ['version', 'source_list', 'status', 'node_list', 'source_log', 'source_add', 'minimal_oclif']
  const ratios = {
    ...Object.fromEntries(overFloor.map((key) => [`${key}/node_floor`, ratio(key, 'node_floor')])),
    'source_log/version': ratio('source_log', 'version'),
    'source_log/git_log_history': ratio('source_log', 'git_log_history'),
    'source_list/minimal_oclif': ratio('source_list', 'minimal_oclif'),
    'source_list/git_log': ratio('source_list', 'git_log'),
    'source_add/minimal_oclif': ratio('source_add', 'minimal_oclif'),
    'source_add/git_log': ratio('source_add', 'git_log'),
  }
  const targets = {
    ...Object.fromEntries(['version', 'source_list', 'status', 'node_list'].map((key) => [`${key}/node_floor <= ${FLOOR_TARGET}`, ratios[`${key}/node_floor`] <= FLOOR_TARGET])),
    [`source_log/version <= ${LOG_TARGET}`]: ratios['source_log/version'] <= LOG_TARGET,
  }

  const results = {
    benchmark: 'startup',
    date: new Date().toISOString(),
    environment: environment({
      oclif_core: packageVersion(path.join(ROOT, 'node_modules', '@oclif', 'core')),
      node_extra_ca_certs: extraCaCerts ? `set in the caller (${extraCaCerts}), unset for every timed process` : 'unset',
    }),
    config: {runs: RUNS, warmup: WARMUP, sources: SOURCES, nodes: NODES, history_commits: HISTORY, dkt_bin: path.relative(ROOT, DKT_BIN)},
    commands,
    ratios,
    targets,
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
  }
  const file = writeResults('startup', results)

  const fmt = (x) => x.toFixed(1)
  console.log(`\nstartup: ${RUNS} runs (+${WARMUP} warmup), median wall clock, spawn to exit${extraCaCerts ? ' (NODE_EXTRA_CA_CERTS unset for every timed process)' : ''}`)
  console.log(
    formatTable([
      ['command', 'median ms', 'min ms', 'max ms', 'x node -e 0'],
      ...cases.map((c) => [c.label, fmt(med(c.key)), fmt(commands[c.key].min_ms), fmt(commands[c.key].max_ms), ratio(c.key, 'node_floor').toFixed(2)]),
    ]),
  )
  console.log('')
  console.log(
    formatTable([
      ['ratio (of medians)', 'x', 'target'],
      ...['version', 'source_list', 'status', 'node_list'].map((key) => [`${commands[key].label} / node -e 0`, ratios[`${key}/node_floor`].toFixed(2), `<= ${FLOOR_TARGET}`]),
      ['dkt source log / dkt --version', ratios['source_log/version'].toFixed(2), `<= ${LOG_TARGET}`],
      ['dkt source log / git log', ratios['source_log/git_log_history'].toFixed(2), ''],
      ['source list / minimal oclif', ratios['source_list/minimal_oclif'].toFixed(2), ''],
      ['source list / git log -1', ratios['source_list/git_log'].toFixed(2), ''],
      ['source add / minimal oclif', ratios['source_add/minimal_oclif'].toFixed(2), ''],
      ['source add / git log -1', ratios['source_add/git_log'].toFixed(2), ''],
    ]),
  )
  const missed = Object.entries(targets).filter(([, met]) => !met).map(([target]) => target)
  console.log(missed.length === 0 ? '\nevery target met' : `\ntargets missed: ${missed.join('; ')}`)
  console.log(`wrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
}
