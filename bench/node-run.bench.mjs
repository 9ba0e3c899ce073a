// node-run benchmark: median wall-clock latency of a recorded run, `dkt node run` vs. `datalad run`, of the same trivial
// command (`cp in/x out/y` through sh) on a changed one-file input, so that both really execute and record every time.
import {readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'

import {benchRuns, dkt, ensureBuilt, formatTable, makeTempDir, run, summarize, writeResults, median, environment, toolVersion} from './lib.mjs'

const WARMUP = 2
const RUNS = benchRuns(15)
/** The command, byte for byte the same on both sides: datalad runs its command string through the shell, dkt gets `sh -c`. */
const SHELL_COMMAND = 'cp in/x out/y'

ensureBuilt()
const tools = requireDatalad()
const {dir: tmp, cleanup} = makeTempDir('dkt-bench-node-run-')
try {
  main()
} finally {
  cleanup()
}

/** datalad (and git-annex, its dependency) must be installed: fail with one clear line otherwise. */
function requireDatalad() {
  const datalad = toolVersion('datalad', ['--version'])
  const annex = toolVersion('git', ['annex', 'version', '--raw'])
  if (!datalad || !annex) {
    console.error(
      `node-run: ${!datalad ? 'datalad' : 'git-annex'} is not installed (it is this benchmark's baseline); run scripts/install-bench-deps.sh as root, then retry`,
    )
    process.exit(1)
  }
  return {datalad: datalad.replace(/^datalad\s+/, ''), git_annex: annex}
}

function main() {
  const t0 = performance.now()
  // git identity for datalad's commits, in its child processes only (never the global git config).
  const dataladEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'dkt bench',
    GIT_AUTHOR_EMAIL: 'bench@localhost',
    GIT_COMMITTER_NAME: 'dkt bench',
    GIT_COMMITTER_EMAIL: 'bench@localhost',
  }
  const datalad = (args, cwd) => run('datalad', args, {cwd, env: dataladEnv})
  const git = (args, cwd) => run('git', args, {cwd, env: dataladEnv}).stdout.trim()

  process.stdout.write(`node-run: setting up a dkt project and a datalad dataset in ${tmp} ... `)
  // dkt: a project with path sources `in` (./in, one file x) and `out` (./out, empty).
  const dktDir = path.join(tmp, 'dkt')
  for (const d of ['in', 'out']) mkdirSync(path.join(dktDir, d), {recursive: true})
  dkt(['init'], dktDir)
  writeFileSync(path.join(dktDir, 'in', 'x'), 'setup\n')
  dkt(['source', 'add', 'in', './in'], dktDir)
  dkt(['source', 'add', 'out', './out'], dktDir)

  // datalad: a dataset (default configuration: files go to git-annex) with in/x saved, and an empty out/.
  const dlDir = path.join(tmp, 'datalad')
  datalad(['create', dlDir], tmp)
  mkdirSync(path.join(dlDir, 'in'), {recursive: true})
  mkdirSync(path.join(dlDir, 'out'), {recursive: true})
  writeFileSync(path.join(dlDir, 'in', 'x'), 'setup\n')
  datalad(['save', '-m', 'setup'], dlDir)
  process.stdout.write(`done (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)

  let iteration = 0
  /** The new content of in/x for the next iteration: different every time, so no run is ever memoized. */
  const nextInput = (side) => `${side} iteration ${iteration++}\n`
  let nodeId

  // One iteration of each side. `prepare` is untimed for the headline figure but recorded, as dkt's and datalad's
  // way of registering the changed input; `run` is the measured command; the checks after it are untimed.
  const dktIteration = () => {
    const content = nextInput('dkt')
    writeFileSync(path.join(dktDir, 'in', 'x'), content)
    const prepare = dkt(['source', 'update', 'in'], dktDir)
    if (/unchanged/.test(prepare.stdout)) throw new Error(`dkt source update saw no change of in/:\n${prepare.stdout}`)
    const runsBefore = nodeId ? countRuns(dktDir, nodeId) : 0
    const result = dkt(['node', 'run', '--input', 'in', '--output', 'out', '--', 'sh', '-c', SHELL_COMMAND], dktDir)
    const shortNode = result.stdout.split('\n')[0].trim()
    nodeId ??= readdirSync(path.join(dktDir, '.dkt', 'nodes')).find((f) => f.startsWith(shortNode))?.slice(0, -5)
    if (!nodeId) throw new Error(`dkt node run printed no node ID:\n${result.stdout}`)
    // It really ran: a new run manifest, and the output holds the new input.
    if (countRuns(dktDir, nodeId) !== runsBefore + 1) throw new Error(`dkt node run recorded no new run (memoized?):\n${result.stdout}`)
    checkOutput(dktDir, content, 'dkt')
    return {prepare: prepare.ms, run: result.ms}
  }
  const dataladIteration = () => {
    const content = nextInput('datalad')
    const input = path.join(dlDir, 'in', 'x')
    rmSync(input) // an annexed file is a read-only symlink: replace it
    writeFileSync(input, content)
    const prepare = datalad(['save', '-m', 'new input', 'in/x'], dlDir)
    const commitsBefore = Number(git(['rev-list', '--count', 'HEAD'], dlDir))
    const result = datalad(['run', '-i', 'in/x', '-o', 'out/y', SHELL_COMMAND], dlDir)
    // It really ran: one new run commit with its record, and the output holds the new input.
    const commits = Number(git(['rev-list', '--count', 'HEAD'], dlDir))
    const subject = git(['log', '-1', '--format=%s'], dlDir)
    if (commits !== commitsBefore + 1 || !subject.startsWith('[DATALAD RUNCMD]')) {
      throw new Error(`datalad run recorded no run commit (HEAD is "${subject}"):\n${result.stdout}`)
    }
    checkOutput(dlDir, content, 'datalad')
    return {prepare: prepare.ms, run: result.ms}
  }
  // Baseline: the command alone, in the dkt project's folders.
  const commandOnly = () => ({run: run('sh', ['-c', SHELL_COMMAND], {cwd: dktDir}).ms})

  // Rounds are interleaved (each round runs every case once), so drift in machine load hits all cases alike.
  // The first round's dkt node run also defines the node (one more commit): it is part of the warmup.
  const samples = {dkt_node_run: [], datalad_run: [], dkt_source_update: [], datalad_save: [], command_only: [], dkt_cycle: [], datalad_cycle: []}
  for (let round = 0; round < WARMUP + RUNS; round++) {
    const d = dktIteration()
    const l = dataladIteration()
    const c = commandOnly()
    if (round < WARMUP) continue
    samples.dkt_node_run.push(d.run)
    samples.dkt_source_update.push(d.prepare)
    samples.dkt_cycle.push(d.prepare + d.run)
    samples.datalad_run.push(l.run)
    samples.datalad_save.push(l.prepare)
    samples.datalad_cycle.push(l.prepare + l.run)
    samples.command_only.push(c.run)
  }

  const labels = {
    dkt_node_run: ['dkt node run (timed)', `node bin/run.js node run --input in --output out -- sh -c '${SHELL_COMMAND}'`],
    datalad_run: ['datalad run (timed)', `datalad run -i in/x -o out/y "${SHELL_COMMAND}"`],
    dkt_source_update: ['dkt source update in', 'node bin/run.js source update in'],
    datalad_save: ['datalad save in/x', 'datalad save -m "new input" in/x'],
    dkt_cycle: ['dkt: update + node run', 'per-round sum of the two dkt commands'],
    datalad_cycle: ['datalad: save + run', 'per-round sum of the two datalad commands'],
    command_only: ["sh -c 'cp in/x out/y'", `sh -c '${SHELL_COMMAND}'`],
  }
  const commands = Object.fromEntries(Object.entries(labels).map(([key, [label, command]]) => [key, {label, command, ...summarize(samples[key])}]))
  const med = (key) => commands[key].median_ms
  const ratio = (a, b) => Math.round((med(a) / med(b)) * 100) / 100
  const ratios = {
    'dkt_node_run/datalad_run': ratio('dkt_node_run', 'datalad_run'),
    'dkt_source_update/datalad_save': ratio('dkt_source_update', 'datalad_save'),
    'dkt_cycle/datalad_cycle': ratio('dkt_cycle', 'datalad_cycle'),
  }

  const results = {
    benchmark: 'node-run',
    date: new Date().toISOString(),
    environment: environment(tools),
    config: {
      runs: RUNS,
      warmup: WARMUP,
      shell_command: SHELL_COMMAND,
      not_memoized_by: 'in/x gets new content before every iteration, registered untimed (dkt source update / datalad save)',
    },
    commands,
    ratios,
    median_of_round_ratios: {'dkt_node_run/datalad_run': Math.round(median(samples.dkt_node_run.map((x, i) => x / samples.datalad_run[i])) * 100) / 100},
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
  }
  const file = writeResults('node-run', results)

  const fmt = (x) => x.toFixed(1)
  console.log(`\nnode-run: ${RUNS} runs (+${WARMUP} warmup), median wall clock, spawn to exit; every run executes and is recorded`)
  console.log(
    formatTable([
      ['command', 'median ms', 'min ms', 'max ms'],
      ...Object.keys(labels).map((key) => [labels[key][0], fmt(med(key)), fmt(commands[key].min_ms), fmt(commands[key].max_ms)]),
    ]),
  )
  console.log('')
  console.log(
    formatTable([
      ['ratio (of medians)', 'x'],
      ['dkt node run / datalad run', ratios['dkt_node_run/datalad_run'].toFixed(2)],
      ['dkt source update / datalad save', ratios['dkt_source_update/datalad_save'].toFixed(2)],
      ['dkt update+run / datalad save+run', ratios['dkt_cycle/datalad_cycle'].toFixed(2)],
    ]),
  )
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
}

function countRuns(projectDir, nodeId) {
  try {
    return readdirSync(path.join(projectDir, '.dkt', 'runs', nodeId)).filter((f) => f.endsWith('.json')).length
  } catch {
    return 0
  }
}

function checkOutput(dir, expected, side) {
  const actual = readFileSync(path.join(dir, 'out', 'y'), 'utf8')
  if (actual !== expected) throw new Error(`${side}: out/y holds ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}: the command did not run`)
}
