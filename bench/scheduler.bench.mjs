// scheduler benchmark: dkt vs. GNU make vs. Snakemake on DAGs of trivial nodes (copy / concatenate small files):
// `wide-N` (N independent nodes feeding one final node) and `chain-N` (node i reads node i-1's output).
// (a) nothing due: `dkt status` vs `make -q` vs `snakemake -n`; (b) a full run: `dkt scheduler --once --concurrency 2`
// vs `make -j2` vs `snakemake --cores 2`; (c) one leaf changed: `dkt source update` + `dkt scheduler --once` vs make /
// snakemake rebuilding what depends on it. dkt's projects are generated directly on disk (see bench/README.md).
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {chainDag, generateDktProject, wideDag, writeData} from './dags.mjs'
import {ROOT, benchRuns, dkt, envInt, environment, formatTable, makeTempDir, median, run, summarize, toolVersion, writeResults} from './lib.mjs'

// A CA bundle in NODE_EXTRA_CA_CERTS costs every Node process ~60 ms at start on this machine (see the README's
// startup section): unset for every tool measured here (all are spawned with this process's environment).
const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS
delete process.env.NODE_EXTRA_CA_CERTS

/** N of wide-N and chain-N. The issue's size is 1000; the default keeps this benchmark under ~10 minutes (see README). */
const SIZE = envInt('BENCH_SCHED_SIZE', 500, 2)
/** Rounds of (a), after one warmup round. */
const STATUS_RUNS = benchRuns(5)
/** Full runs (b) per tool and DAG: each on a fresh copy of the project. */
const FULL_RUNS = envInt('BENCH_SCHED_FULL_RUNS', 1, 1)
/** One-leaf-changed rounds (c) per tool, for wide-N (each changes another leaf). */
const INCR_RUNS = envInt('BENCH_SCHED_INCR_RUNS', 3, 1)
/** For chain-N the only leaf is the head: (c) reruns all N nodes. 0 skips it. */
const CHAIN_INCR_RUNS = envInt('BENCH_SCHED_CHAIN_INCR_RUNS', 1, 0)
const DAG_MAKERS = {wide: wideDag, chain: chainDag}
const DAG_NAMES = (process.env.BENCH_SCHED_DAGS || 'wide,chain').split(',').map((s) => s.trim()).filter(Boolean)
const CONCURRENCY = 2
const SNAKEMAKE_FLAGS = ['--scheduler', 'greedy']
/**
 * Targets from issue 11, for the closing note: dkt / make and dkt / snakemake ratios of medians, and (c)'s time from
 * the scheduler's spawn to its first run (median, ms).
 */
const TARGETS = {status_vs_make: 1, status_vs_snakemake: 0.1, full_vs_snakemake: 0.5, full_vs_make: 8, incremental_vs_snakemake: 0.5, incremental_until_first_run_ms: 300}

const tools = requireTools()

/** Which dkt was measured: the commit of this checkout, and whether its sources had uncommitted changes. */
function dktSource() {
  const git = (args) => spawnSync('git', args, {cwd: ROOT, encoding: 'utf8'})
  const head = git(['rev-parse', '--short', 'HEAD'])
  if (head.status !== 0) return null
  return {commit: head.stdout.trim(), uncommitted_changes: git(['status', '--porcelain', '--', 'src']).stdout.trim() !== ''}
}

/** make and snakemake must be installed: fail with one clear line otherwise. */
function requireTools() {
  const version = (command, args) => toolVersion(command, args)?.split('\n')[0]
  const make = version('make', ['--version'])
  const snakemake = version('snakemake', ['--version'])
  if (!make || !snakemake) {
    console.error(`scheduler: ${!make ? 'make' : 'snakemake'} is not installed (a baseline of this benchmark); run scripts/install-bench-deps.sh as root, then retry`)
    process.exit(1)
  }
  return {make, snakemake, python: version('python3', ['--version'])}
}

/** The same small DAG through the real CLI (`source add`, `node run --detach`). */
function cliDktProject(dir, dag) {
  writeData(dir, dag)
  dkt(['init'], dir)
  for (const source of dag.sources) dkt(['source', 'add', source.name, `./data/${source.name}`], dir)
  for (const spec of dag.nodes) dkt(['node', 'run', '--detach', '--input', spec.inputs.join(','), '--output', spec.outputs.join(','), '--', ...spec.command], dir)
}

/**
 * Proves the generator writes what dkt writes: wide-11 (11 > 10, so that `out_10` sorts before `out_2` as dkt sorts
 * names) and chain-2, through the CLI and generated: same source and node files byte for byte, same versions.
 */
async function checkGenerator() {
  for (const dag of [wideDag(11), chainDag(2)]) {
    const realDir = path.join(tmp, `check-real-${dag.name}`)
    const genDir = path.join(tmp, `check-generated-${dag.name}`)
    cliDktProject(realDir, dag)
    await generateDktProject(genDir, dag)
    const files = (dir, sub) => run('git', ['ls-files', sub], {cwd: path.join(dir, '.dkt')}).stdout.trim().split('\n').sort()
    for (const sub of ['sources', 'nodes', 'versions']) {
      const real = files(realDir, sub)
      const generated = files(genDir, sub)
      if (JSON.stringify(real) !== JSON.stringify(generated)) throw new Error(`generator check (${dag.name}): ${sub}/ differs: ${real.join(' ')} vs ${generated.join(' ')}`)
      for (const file of real) {
        const read = (dir) => readFileSync(path.join(dir, '.dkt', file), 'utf8')
        // Observations differ by their time only.
        const normal = (text) => (sub === 'versions' ? text.trim().split('\n').map((line) => JSON.parse(line).version).join('\n') : text)
        if (normal(read(realDir)) !== normal(read(genDir))) throw new Error(`generator check (${dag.name}): ${file} differs from the real CLI's:\n${read(realDir)}\nvs\n${read(genDir)}`)
      }
    }
  }
}

function copyTree(from, to) {
  run('cp', ['-a', from, to])
  return to
}

// ---------------------------------------------------------------------------------------------------------------
// The measured commands, with their checks (untimed)

const readTarget = (dir, dag) => readFileSync(path.join(dir, dag.target), 'utf8')

function checkTarget(tool, dir, dag, leaves) {
  const got = readTarget(dir, dag)
  if (got !== dag.expected(leaves)) throw new Error(`${tool} (${dag.name}): ${dag.target} is wrong after the run (${got.length} bytes, expected ${dag.expected(leaves).length})`)
}

const gitIn = (dir, args) => run('git', args, {cwd: path.join(dir, '.dkt')}).stdout
const committedRuns = (dir) => gitIn(dir, ['ls-files', 'runs']).split('\n').filter((f) => /^runs\/[^/]+\/[^/]+\.json$/.test(f)).length
const commitCount = (dir) => Number(gitIn(dir, ['rev-list', '--count', 'HEAD']).trim())

/**
 * `dkt scheduler --once --concurrency 2 --json`: exit 0, exactly `expectedRuns` new run manifests committed, all
 * successful, nothing left uncommitted. Returns the time and the phases read from the JSON events.
 */
function dktScheduler(dir, dag, expectedRuns) {
  const runsBefore = committedRuns(dir)
  const commitsBefore = commitCount(dir)
  const spawnedAt = Date.now()
  const schedule = () => dkt(['scheduler', '--once', '--concurrency', String(CONCURRENCY), '--json'], dir)
  let {ms, stdout} = schedule()
  // A `--once` that exits 0 while nodes are still due is a dkt bug (see bench/README.md): counted, reported, and
  // finished by one more `--once` (its time added), so that the figures still cover the whole DAG.
  let earlyExits = 0
  const parse = (text) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
  while (committedRuns(dir) - runsBefore < expectedRuns && earlyExits < 3) {
    const due = JSON.parse(dkt(['status', '--json'], dir).stdout).filter((s) => s.due).length
    if (due === 0) break
    earlyExits++
    console.warn(`\n  WARNING: dkt scheduler --once (${dag.name}) exited 0 with ${due} node(s) still due (${committedRuns(dir) - runsBefore} of ${expectedRuns} runs); running it again`)
    const again = schedule()
    ms += again.ms
    stdout += again.stdout
  }
  const exitedAt = spawnedAt + ms
  const events = parse(stdout)
  const finished = events.filter((e) => e.type === 'run-finished')
  const bad = finished.filter((e) => e.run.status !== 'success')
  const errors = events.filter((e) => e.type === 'run-error')
  if (bad.length > 0 || errors.length > 0) throw new Error(`dkt scheduler (${dag.name}): ${bad.length} unsuccessful runs, ${errors.length} errors: ${JSON.stringify(errors[0] ?? bad[0]).slice(0, 500)}`)
  const newRuns = committedRuns(dir) - runsBefore
  if (finished.length !== expectedRuns || newRuns !== expectedRuns) {
    throw new Error(`dkt scheduler (${dag.name}): ${finished.length} runs finished, ${newRuns} new run manifests committed, expected ${expectedRuns}`)
  }
  const dirty = gitIn(dir, ['status', '--porcelain']).trim()
  if (dirty) throw new Error(`dkt scheduler (${dag.name}): .dkt has uncommitted changes after the run:\n${dirty.slice(0, 500)}`)
  const time = (e) => Date.parse(e.time)
  const started = events.filter((e) => e.type === 'run-started')
  const firstStart = Math.min(...started.map(time))
  const lastFinish = Math.max(...finished.map(time))
  const execMs = finished.map((e) => Date.parse(e.run.endedAt) - Date.parse(e.run.startedAt))
  return {
    ms,
    runs: finished.length,
    commits: commitCount(dir) - commitsBefore,
    early_exits: earlyExits,
    phases: {
      // spawn → first run started: node + oclif start-up, recovering, checking (hashing) every source, first plan.
      until_first_run_ms: firstStart - spawnedAt,
      // first run started → last run finished (committed): executing, recording, re-planning between runs.
      runs_ms: lastFinish - firstStart,
      // last run finished → exit: the last scan before concluding that nothing is due, flush, closing.
      after_last_run_ms: exitedAt - lastFinish,
      // per run, from its start to its outputs' versions (before it is committed): materialize, run, publish.
      median_run_exec_ms: median(execMs),
      median_run_total_ms: median(finished.map((e) => e.durationMs)),
    },
  }
}

/** make prints every recipe line it runs: one per rule here. */
function makeRun(dir, dag, expectedRuns) {
  const {ms, stdout} = run('make', [`-j${CONCURRENCY}`], {cwd: dir})
  const recipes = stdout.split('\n').filter((line) => /^(cp|cat) /.test(line)).length
  if (recipes !== expectedRuns) throw new Error(`make -j${CONCURRENCY} (${dag.name}): ran ${recipes} recipes, expected ${expectedRuns}`)
  return {ms, runs: recipes}
}

/** snakemake counts `rule all` as one more step. */
function snakemakeRun(dir, dag, expectedRuns) {
  const {ms, stdout, stderr} = run('snakemake', ['--cores', String(CONCURRENCY), ...SNAKEMAKE_FLAGS], {cwd: dir})
  const done = [...`${stdout}\n${stderr}`.matchAll(/(\d+) of (\d+) steps \(100%\) done/g)].at(-1)
  if (!done || Number(done[2]) !== expectedRuns + 1) throw new Error(`snakemake --cores ${CONCURRENCY} (${dag.name}): expected ${expectedRuns + 1} steps, got ${done?.[0] ?? 'no summary'}:\n${stderr.slice(-1000)}`)
  return {ms, runs: Number(done[2]) - 1}
}

/** make, then snakemake, in their workspaces (targets checked): their times go to samples.make / samples.snakemake. */
function baselineRuns(ws, dag, leaves, expectedRuns, samples) {
  const m = makeRun(ws.make, dag, expectedRuns)
  checkTarget('make', ws.make, dag, leaves)
  samples.make.push(m.ms)
  process.stdout.write(`${seconds(m.ms)} s, snakemake ... `)
  const s = snakemakeRun(ws.snakemake, dag, expectedRuns)
  checkTarget('snakemake', ws.snakemake, dag, leaves)
  samples.snakemake.push(s.ms)
  process.stdout.write(`${seconds(s.ms)} s\n`)
}

const STATUS_CASES = [
  {
    key: 'dkt_status',
    label: 'dkt status',
    time: (ws) => {
      const {ms, stdout} = dkt(['status'], ws.dkt)
      if (!stdout.startsWith('nothing to run')) throw new Error(`dkt status found something to run:\n${stdout.slice(0, 500)}`)
      return ms
    },
  },
  // Exit 0 = up to date (run() throws on anything else).
  {key: 'make_q', label: 'make -q', time: (ws) => run('make', ['-q'], {cwd: ws.make}).ms},
  {
    key: 'snakemake_n',
    label: 'snakemake -n',
    time: (ws) => {
      const {ms, stdout, stderr} = run('snakemake', ['-n', ...SNAKEMAKE_FLAGS], {cwd: ws.snakemake})
      if (!`${stdout}${stderr}`.includes('Nothing to be done')) throw new Error(`snakemake -n found something to do:\n${(stdout + stderr).slice(0, 500)}`)
      return ms
    },
  },
]

// ---------------------------------------------------------------------------------------------------------------

const round1 = (x) => Math.round(x * 10) / 10
const round3 = (x) => Math.round(x * 1000) / 1000
const seconds = (ms) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1)

async function benchDag(dag) {
  const t0 = performance.now()
  const phases = {}
  const phase = (name, since) => (phases[name] = round1((performance.now() - since) / 1000))

  // Templates: the dkt project (generated, validated) and the plain folder for make and snakemake.
  let t = performance.now()
  const dktTemplate = path.join(tmp, `${dag.name}-dkt-template`)
  const plainTemplate = path.join(tmp, `${dag.name}-plain-template`)
  const ids = await generateDktProject(dktTemplate, dag)
  writeData(plainTemplate, dag)
  phase('generate_s', t)

  t = performance.now()
  const statuses = JSON.parse(dkt(['status', '--json'], dktTemplate).stdout)
  const neverRun = statuses.filter((s) => s.due && s.reasons.join() === 'never run').length
  const known = new Set(ids)
  if (statuses.length !== dag.nodes.length || neverRun !== dag.nodes.length || !statuses.every((s) => known.has(s.node))) {
    throw new Error(`dkt status (${dag.name}): ${neverRun} of ${statuses.length} nodes due (never run), expected ${dag.nodes.length} of ${dag.nodes.length}`)
  }
  phase('validate_s', t)

  // (b) full runs, interleaved per round, each on a fresh copy.
  const leaves = Object.fromEntries(dag.sources.filter((s) => s.content !== null).map((s) => [s.name, s.content]))
  const full = {dkt: [], make: [], snakemake: []}
  const dktFull = []
  let ws
  t = performance.now()
  for (let r = 0; r < FULL_RUNS; r++) {
    ws = {dkt: copyTree(dktTemplate, path.join(tmp, `${dag.name}-dkt-${r}`)), make: copyTree(plainTemplate, path.join(tmp, `${dag.name}-make-${r}`)), snakemake: copyTree(plainTemplate, path.join(tmp, `${dag.name}-snakemake-${r}`))}
    process.stdout.write(`  ${dag.name} full run ${r + 1}/${FULL_RUNS}: dkt ... `)
    const d = dktScheduler(ws.dkt, dag, dag.runs)
    checkTarget('dkt', ws.dkt, dag, leaves)
    full.dkt.push(d.ms)
    dktFull.push(d)
    process.stdout.write(`${seconds(d.ms)} s, make ... `)
    baselineRuns(ws, dag, leaves, dag.runs, full)
  }
  phase('full_runs_s', t)

  // (a) nothing due, on the last full run's workspaces: one warmup round, then interleaved rounds.
  t = performance.now()
  const status = Object.fromEntries(STATUS_CASES.map((c) => [c.key, []]))
  for (let r = 0; r < 1 + STATUS_RUNS; r++) {
    for (const c of STATUS_CASES) {
      const ms = c.time(ws)
      if (r > 0) status[c.key].push(ms)
    }
  }
  phase('status_s', t)

  // (c) one leaf changed: new content in the same leaf of the three workspaces (untimed), then each tool rebuilds.
  t = performance.now()
  const incrRuns = dag.kind === 'chain' ? CHAIN_INCR_RUNS : INCR_RUNS
  const incr = {dkt_source_update: [], dkt_scheduler: [], dkt_cycle: [], make: [], snakemake: []}
  const dktIncr = []
  let expectedRuns = 0
  for (let r = 0; r < incrRuns; r++) {
    const change = dag.leafChange(r)
    expectedRuns = change.runs
    leaves[change.leaf] = `${change.leaf} changed in round ${r}\n`
    for (const dir of Object.values(ws)) writeFileSync(path.join(dir, 'data', change.leaf, 'data.txt'), leaves[change.leaf])
    process.stdout.write(`  ${dag.name} leaf ${change.leaf} changed (${r + 1}/${incrRuns}): dkt ... `)
    const versionsFile = path.join(ws.dkt, '.dkt', 'versions', `${change.leaf}.jsonl`)
    const observations = readFileSync(versionsFile, 'utf8').trim().split('\n').length
    const update = dkt(['source', 'update', change.leaf], ws.dkt)
    if (readFileSync(versionsFile, 'utf8').trim().split('\n').length !== observations + 1) throw new Error(`dkt source update ${change.leaf} recorded no new version`)
    const d = dktScheduler(ws.dkt, dag, change.runs)
    checkTarget('dkt', ws.dkt, dag, leaves)
    incr.dkt_source_update.push(update.ms)
    incr.dkt_scheduler.push(d.ms)
    incr.dkt_cycle.push(update.ms + d.ms)
    dktIncr.push(d)
    process.stdout.write(`${seconds(update.ms)} + ${seconds(d.ms)} s, make ... `)
    baselineRuns(ws, dag, leaves, change.runs, incr)
  }
  phase('incremental_s', t)

  const sum = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.length > 0 ? summarize(v) : null]))
  const ratio = (a, b) => (a.length && b.length ? round3(median(a) / median(b)) : null)
  const phaseMedians = (list) =>
    list.length === 0 ? null : {...Object.fromEntries(Object.keys(list[0].phases).map((k) => [k, round1(median(list.map((d) => d.phases[k])))])), commits: median(list.map((d) => d.commits)), runs: list[0].runs, early_exits: list.reduce((n, d) => n + d.early_exits, 0)}
  return {
    dag: dag.name,
    kind: dag.kind,
    size: dag.size,
    nodes: dag.nodes.length,
    sources: dag.sources.length,
    validated: {status_never_run: neverRun},
    status: sum(status),
    full: sum(full),
    incremental: {...sum(incr), changed_leaf_runs: expectedRuns, rounds: incrRuns},
    dkt_phases: {full: phaseMedians(dktFull), incremental: phaseMedians(dktIncr)},
    ratios: {
      status_vs_snakemake: ratio(status.dkt_status, status.snakemake_n),
      status_vs_make: ratio(status.dkt_status, status.make_q),
      full_vs_snakemake: ratio(full.dkt, full.snakemake),
      full_vs_make: ratio(full.dkt, full.make),
      incremental_vs_snakemake: ratio(incr.dkt_scheduler, incr.snakemake),
      incremental_vs_make: ratio(incr.dkt_scheduler, incr.make),
      incremental_cycle_vs_snakemake: ratio(incr.dkt_cycle, incr.snakemake),
      incremental_cycle_vs_make: ratio(incr.dkt_cycle, incr.make),
    },
    bench_phases_s: {...phases, total_s: round1((performance.now() - t0) / 1000)},
  }
}

function printDag(r) {
  const ms = (x) => (x === null || x === undefined ? '-' : x.median_ms >= 10_000 ? `${(x.median_ms / 1000).toFixed(1)} s` : `${x.median_ms.toFixed(0)} ms`)
  const x = (v) => (v === null ? '-' : `${v.toFixed(3)}x`)
  console.log(`\n${r.dag}: ${r.nodes} nodes, ${r.sources} sources; medians (status: ${STATUS_RUNS} runs, full: ${FULL_RUNS}, one leaf changed: ${r.incremental.rounds}, ${r.incremental.changed_leaf_runs} nodes rerun)`)
  console.log(
    formatTable([
      ['case', 'dkt', 'make', 'snakemake', 'dkt/make', 'dkt/snakemake'],
      ['(a) nothing due: status / make -q / snakemake -n', ms(r.status.dkt_status), ms(r.status.make_q), ms(r.status.snakemake_n), x(r.ratios.status_vs_make), x(r.ratios.status_vs_snakemake)],
      [`(b) full run: scheduler --once / make -j${CONCURRENCY} / snakemake --cores ${CONCURRENCY}`, ms(r.full.dkt), ms(r.full.make), ms(r.full.snakemake), x(r.ratios.full_vs_make), x(r.ratios.full_vs_snakemake)],
      ['(c) one leaf changed: scheduler --once', ms(r.incremental.dkt_scheduler), ms(r.incremental.make), ms(r.incremental.snakemake), x(r.ratios.incremental_vs_make), x(r.ratios.incremental_vs_snakemake)],
      ['(c) ... with dkt source update before it', ms(r.incremental.dkt_cycle), '', '', x(r.ratios.incremental_cycle_vs_make), x(r.ratios.incremental_cycle_vs_snakemake)],
    ]),
  )
  const p = r.dkt_phases
  const row = (label, f) => (f ? [label, f.runs, f.commits, f.until_first_run_ms, f.runs_ms, (f.runs_ms / f.runs).toFixed(1), f.after_last_run_ms, f.median_run_exec_ms, f.median_run_total_ms, f.early_exits] : null)
  console.log(`\n${r.dag}: where dkt's scheduler time goes (ms, medians)`)
  console.log(
    formatTable(
      [
        ['dkt scheduler --once', 'runs', 'commits', 'until 1st run', 'runs', 'per run', 'after last', 'run exec', 'run total', 'early exits'],
        row('(b) full run', p.full),
        row('(c) one leaf changed', p.incremental),
      ].filter(Boolean),
    ),
  )
  console.log(`bench phases (s): ${Object.entries(r.bench_phases_s).map(([k, v]) => `${k.replace(/_s$/, '')} ${v}`).join(', ')}`)
}

async function main() {
  const t0 = performance.now()
  process.stdout.write(`scheduler: checking the generator against the real CLI (wide-11, chain-2) ... `)
  let t = performance.now()
  await checkGenerator()
  const checkS = round1((performance.now() - t) / 1000)
  console.log(`ok (${checkS} s)`)
  const dags = []
  for (const name of DAG_NAMES) {
    if (!DAG_MAKERS[name]) throw new Error(`BENCH_SCHED_DAGS: unknown DAG ${JSON.stringify(name)} (wide, chain)`)
    const dag = DAG_MAKERS[name](SIZE)
    console.log(`scheduler: ${dag.name} (${dag.nodes.length} nodes) in ${tmp}`)
    const result = await benchDag(dag)
    printDag(result)
    dags.push(result)
  }

  const verdict = (value, target) => (value === null ? 'not measured' : `${value.toFixed(3)}x (target <= ${target}x: ${value <= target ? 'met' : 'NOT met'})`)
  const verdictMs = (value, target) => (value === null || value === undefined ? 'not measured' : `${value} ms (target <= ${target} ms: ${value <= target ? 'met' : 'NOT met'})`)
  console.log(`\ntargets (dkt / baseline, ratio of medians${extraCaCerts ? '; NODE_EXTRA_CA_CERTS unset for every tool measured' : ''}):`)
  for (const r of dags) {
    console.log(`  ${r.dag}: (a) status vs make -q ${verdict(r.ratios.status_vs_make, TARGETS.status_vs_make)}, vs snakemake -n ${verdict(r.ratios.status_vs_snakemake, TARGETS.status_vs_snakemake)}`)
    console.log(`  ${r.dag}: (b) full run vs snakemake ${verdict(r.ratios.full_vs_snakemake, TARGETS.full_vs_snakemake)}, vs make ${verdict(r.ratios.full_vs_make, TARGETS.full_vs_make)}`)
    console.log(`  ${r.dag}: (c) one leaf changed vs snakemake ${verdict(r.ratios.incremental_vs_snakemake, TARGETS.incremental_vs_snakemake)}, first run after ${verdictMs(r.dkt_phases.incremental?.until_first_run_ms, TARGETS.incremental_until_first_run_ms)}`)
  }

  const results = {
    benchmark: 'scheduler',
    date: new Date().toISOString(),
    environment: environment({make: tools.make, snakemake: tools.snakemake, python: tools.python, dkt_source: dktSource()}),
    config: {size: SIZE, dags: DAG_NAMES, node_extra_ca_certs_unset: Boolean(extraCaCerts), status_runs: STATUS_RUNS, status_warmup: 1, full_runs: FULL_RUNS, incremental_runs: INCR_RUNS, chain_incremental_runs: CHAIN_INCR_RUNS, concurrency: CONCURRENCY, snakemake_flags: SNAKEMAKE_FLAGS},
    targets: TARGETS,
    generator_check_s: checkS,
    dags,
    wall_s: round1((performance.now() - t0) / 1000),
  }
  const file = writeResults('scheduler', results)
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
}

const {dir: tmp, cleanup} = makeTempDir('dkt-bench-scheduler-')
try {
  await main()
} finally {
  cleanup()
}
