// run-cost benchmark: a run's fixed cost (claim, fields, hashing a small input and output, recording: everything but
// the command), as `dkt scheduler --once` runs `true` in N independent nodes, in ms per run of the scheduler's time,
// with the per-phase breakdown that DKT_PROFILE writes (see bench/README.md).
import {existsSync, readFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import path from 'node:path'

import {generateDktProject, trueDag} from './dags.mjs'
import {DKT_BIN, envInt, environment, formatTable, makeTempDir, median, run, writeResults} from './lib.mjs'

// As in the other benchmarks: a CA bundle in NODE_EXTRA_CA_CERTS costs every Node start ~60 ms here.
const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS
delete process.env.NODE_EXTRA_CA_CERTS

/** Runs per measurement: the issue's 1,000. */
const SIZE = envInt('BENCH_RUN_COST_SIZE', 1000, 2)
/** Measurements per concurrency, each on a fresh copy of the project. */
const ROUNDS = envInt('BENCH_RUN_COST_ROUNDS', 1, 1)
const CONCURRENCIES = (process.env.BENCH_RUN_COST_CONCURRENCY || '1,2').split(',').map(Number)
/** Issue 11: a run's fixed cost is at most this many ms of the scheduler's time. */
const TARGET_MS = 5

const round2 = (x) => Math.round(x * 100) / 100

/** `dkt scheduler --once` with DKT_PROFILE, checked: every run succeeded and is committed, nothing left over. */
function measure(dir, concurrency) {
  const profileFile = path.join(dir, 'profile.json')
  // On a shared machine the load decides much of the wall time: it goes with every figure.
  const loadBefore = loadavg()[0]
  const spawnedAt = Date.now()
  const {ms, stdout} = run(process.execPath, [DKT_BIN, 'scheduler', '--once', '--concurrency', String(concurrency), '--json'], {cwd: dir, env: {...process.env, DKT_PROFILE: profileFile}})
  const events = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
  const finished = events.filter((e) => e.type === 'run-finished')
  const failed = finished.filter((e) => e.run.status !== 'success').length + events.filter((e) => e.type === 'run-error').length
  const committed = run('git', ['ls-files', 'runs'], {cwd: path.join(dir, '.dkt')}).stdout.split('\n').filter((f) => f.endsWith('.json')).length
  const dirty = run('git', ['status', '--porcelain'], {cwd: path.join(dir, '.dkt')}).stdout.trim()
  if (finished.length !== SIZE || failed > 0 || committed !== SIZE || dirty) {
    throw new Error(`run-cost: ${finished.length} runs finished (${failed} failed), ${committed} committed, expected ${SIZE}${dirty ? '; uncommitted changes left' : ''}`)
  }
  const time = (e) => Date.parse(e.time)
  const firstStart = Math.min(...events.filter((e) => e.type === 'run-started').map(time))
  const lastFinish = Math.max(...finished.map(time))
  // A dkt without DKT_PROFILE (an older build, measured for comparison) writes none: no breakdown then.
  const profile = existsSync(profileFile) ? JSON.parse(readFileSync(profileFile, 'utf8')) : {cpu: {userMs: Number.NaN, systemMs: 0}, children: null, phases: {}}
  const perRun = (x) => round2(x / SIZE)
  const runsMs = lastFinish - firstStart
  const commandMs = profile.phases.command?.ms ?? 0
  return {
    concurrency,
    load_average: [round2(loadBefore), round2(loadavg()[0])],
    wall_ms: round2(ms),
    until_first_run_ms: firstStart - spawnedAt,
    runs_ms: runsMs,
    commits: Number(run('git', ['rev-list', '--count', 'HEAD'], {cwd: path.join(dir, '.dkt')}).stdout.trim()),
    per_run: {
      // The scheduler's wall time per run while runs go on, and that less the command's own time (spawn to exit
      // of `true`, divided by the concurrency: commands overlap): the fixed cost.
      wall_ms: perRun(runsMs),
      fixed_ms: perRun(runsMs - commandMs / concurrency),
      command_ms: perRun(commandMs),
      // CPU of the scheduler's process (start-up included), and of the processes it waited for (its helper that
      // starts the commands and git, and what that started; git and `true` directly in a build without the helper).
      cpu_ms: perRun(profile.cpu.userMs + profile.cpu.systemMs),
      children_cpu_ms: profile.children ? perRun(profile.children.userMs + profile.children.systemMs) : null,
      breakdown: Object.fromEntries(breakdown(Object.fromEntries(Object.entries(profile.phases).map(([name, p]) => [name, {ms: perRun(p.ms)}]))).map(([name, ms]) => [name, round2(ms)])),
      phases: Object.fromEntries(Object.entries(profile.phases).map(([name, p]) => [name, {ms: perRun(p.ms), count: p.count, share_of_runs: round2(p.ms / runsMs)}])),
    },
  }
}

/**
 * The issue's breakdown, from the profile's phases (ms per run, wall, summed over runs): the main thread blocked
 * starting processes, the input check and the output hash, writing and fsyncing the records (the whole files, each
 * fsynced before its rename; then the folders and the journal, once per group of records), and the group commits'
 * git calls (which run in other processes while the scheduler goes on).
 */
function breakdown(phases) {
  const ms = (name) => phases[name]?.ms ?? 0
  const commit = Object.entries(phases).filter(([name]) => name.startsWith('git ')).reduce((sum, [, x]) => sum + x.ms, 0)
  return [
    ['spawn (blocked)', ms('spawn')],
    ['prepare (fields, input hash)', ms('prepare')],
    ['hash outputs', ms('hash outputs')],
    ['claim', ms('claim')],
    ['write + fsync (records)', ms('write (fsynced)')],
    ['fsync (folders, journal, appends)', ms('fsync')],
    ['commit (git)', commit],
    ['planning', ms('scheduler round')],
  ]
}

function printResult(r) {
  const p = r.per_run
  console.log(`\nconcurrency ${r.concurrency}: ${SIZE} runs in ${(r.runs_ms / 1000).toFixed(1)} s (first run ${r.until_first_run_ms} ms after spawn, ${r.commits} commits in .dkt, whole command ${(r.wall_ms / 1000).toFixed(1)} s; load average ${r.load_average.join(' → ')})`)
  console.log(`  per run: ${p.wall_ms} ms wall, of which the command ${p.command_ms} ms; fixed cost ${p.fixed_ms} ms (target <= ${TARGET_MS} ms: ${p.fixed_ms <= TARGET_MS ? 'met' : 'NOT met'})`)
  console.log(`  per run: scheduler CPU ${p.cpu_ms} ms (start-up included), children's CPU (helper, git, true) ${p.children_cpu_ms ?? '-'} ms`)
  console.log(`  breakdown per run (ms): ${breakdown(p.phases).map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ')}`)
  const rows = Object.entries(p.phases).sort(([, a], [, b]) => b.ms - a.ms)
  console.log(formatTable([['phase (wall, summed; overlaps between runs)', 'ms / run', 'count', 'share of runs time'], ...rows.map(([name, x]) => [name, x.ms.toFixed(2), x.count, `${(x.share_of_runs * 100).toFixed(1)}%`])]))
}

async function main() {
  const t0 = performance.now()
  const dag = trueDag(SIZE)
  const template = path.join(tmp, 'template')
  process.stdout.write(`run-cost: generating ${dag.name} (${SIZE} nodes running \`true\`) in ${tmp} ... `)
  await generateDktProject(template, dag)
  console.log('ok')
  const results = []
  for (const concurrency of CONCURRENCIES) {
    const rounds = []
    for (let r = 0; r < ROUNDS; r++) {
      const dir = path.join(tmp, `c${concurrency}-${r}`)
      run('cp', ['-a', template, dir])
      rounds.push(measure(dir, concurrency))
    }
    const chosen = rounds.find((x) => x.per_run.wall_ms === median(rounds.map((y) => y.per_run.wall_ms))) ?? rounds[0]
    printResult(chosen)
    results.push({...chosen, rounds: rounds.map((x) => x.per_run.wall_ms)})
  }
  const file = writeResults('run-cost', {
    benchmark: 'run-cost',
    date: new Date().toISOString(),
    environment: environment({node_extra_ca_certs_unset: Boolean(extraCaCerts)}),
    config: {size: SIZE, rounds: ROUNDS, concurrencies: CONCURRENCIES},
    target_fixed_ms: TARGET_MS,
    results,
    wall_s: round2((performance.now() - t0) / 1000),
  })
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`)
}

const {dir: tmp, cleanup} = makeTempDir('dkt-bench-run-cost-')
try {
  await main()
} finally {
  cleanup()
}
