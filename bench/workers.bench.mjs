// workers benchmark: remote workers (`dkt scheduler --remote`) on one metadata remote served by a git daemon on
// 127.0.0.1: runs recorded per second and the worst push retry count with 1, 4 and 8 workers (trivial commands),
// and the time from a new commit pushed to a git source to its run starting on a worker (see bench/README.md).
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {DKT_BIN, GIT_IDENTITY, dkt, ensureBuilt, envInt, environment, formatTable, freePort, makeTempDir, median, run, waitUntil, writeResults} from './lib.mjs'

// As in the other benchmarks: a CA bundle in NODE_EXTRA_CA_CERTS costs every Node start ~60 ms here.
const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS
delete process.env.NODE_EXTRA_CA_CERTS

const WORKER_COUNTS = (process.env.BENCH_WORKERS || '1,4,8').split(',').map(Number)
/** Trivial runs per throughput measurement. */
const RUNS = envInt('BENCH_WORKER_RUNS', 100, 1)
/** New commits per latency measurement. */
const LATENCY_ROUNDS = envInt('BENCH_WORKER_LATENCY_ROUNDS', 5, 1)
const LATENCY_WORKERS = (process.env.BENCH_WORKER_LATENCY_WORKERS || '1,4').split(',').map(Number)
/** Each worker's --concurrency (the machine's cores are shared by all workers). */
const CONCURRENCY = envInt('BENCH_WORKER_CONCURRENCY', 2, 1)
/** Bounds: a worker never outlives this; a measurement fails after this. */
const WORKER_LIFE_S = 1800
const MEASURE_TIMEOUT_MS = envInt('BENCH_WORKER_TIMEOUT_S', 600, 10) * 1000
const WORKER_FLAGS = ['--lease', '30', '--heartbeat', '1', '--interval', '1', '--concurrency', String(CONCURRENCY)]

const round1 = (x) => Math.round(x * 10) / 10
const round2 = (x) => Math.round(x * 100) / 100
const git = (args, cwd) => run('git', args, {cwd, env: {...process.env, ...GIT_IDENTITY}}).stdout.trim()

/** A git daemon on 127.0.0.1 serving `base` (receive-pack on), bounded in time by `timeout`, stopped by its PID. */
async function startGitDaemon(base) {
  const port = await freePort()
  const args = ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base]
  const child = spawn('timeout', [String(WORKER_LIFE_S), 'git', ...args], {stdio: 'ignore', detached: true})
  const listening = () => new Promise((resolve) => net.connect(port, '127.0.0.1').once('connect', function () {
    this.destroy()
    resolve(true)
  }).once('error', () => resolve(false)))
  await waitUntil(listening, `git daemon on port ${port}`, 10_000)
  return {url: `git://127.0.0.1:${port}`, stop: () => child.exitCode === null && process.kill(-child.pid, 'SIGTERM')}
}

/** A bare repository `name` under `served` on main with one commit, and `advance()` pushing a new commit (its ID). */
function upstreamRepo(served, name) {
  const bare = path.join(served, name)
  git(['init', '-q', '--bare', '--initial-branch=main', bare], served)
  const work = `${bare}-work`
  git(['init', '-q', '--initial-branch=main', work], served)
  let n = 0
  const advance = () => {
    writeFileSync(path.join(work, 'change.txt'), `change ${++n}\n`)
    git(['add', '-A'], work)
    git(['commit', '-q', '-m', `change ${n}`], work)
    git(['push', '-q', bare, 'HEAD:main'], work)
    return `sha1:${git(['rev-parse', 'HEAD'], work)}`
  }
  advance()
  return {advance}
}

/**
 * A project whose metadata the daemon serves: source `app` (git, on the daemon) and `nodes` trivial nodes reading
 * it (`true n-I`), one `dkt apply` commit, pushed to a new bare repository; `clones` `dkt clone`s of it.
 */
function fleetProject(daemon, served, label, nodes, clones) {
  const upstream = upstreamRepo(served, `${label}-app.git`)
  const origin = path.join(tmp, `${label}-origin`)
  mkdirSync(origin, {recursive: true})
  dkt(['init'], origin)
  const pipeline = {format: 1, sources: {app: {kind: 'git', location: `${daemon.url}/${label}-app.git`}}, nodes: {}}
  for (let i = 0; i < nodes; i++) pipeline.nodes[`n${i}`] = {command: ['true', `${label}-${i}`], inputs: ['app']}
  writeFileSync(path.join(origin, 'dkt.yml'), JSON.stringify(pipeline))
  dkt(['apply', '--yes'], origin)
  const bare = path.join(served, `${label}-meta.git`)
  git(['clone', '-q', '--bare', path.join(origin, '.dkt'), bare], served)
  const dirs = Array.from({length: clones}, (_, i) => {
    dkt(['clone', `${daemon.url}/${label}-meta.git`, `${label}-clone-${i}`], tmp)
    return path.join(tmp, `${label}-clone-${i}`)
  })
  return {bare, upstream, clones: dirs}
}

/** `dkt scheduler --remote --json` in `clone` as worker `name` on host `name`: its events as they come. */
function startWorker(clone, name) {
  const args = [DKT_BIN, 'scheduler', '--remote', 'origin', '--name', name, '--labels', 'bench', '--json', ...WORKER_FLAGS]
  const child = spawn(process.execPath, args, {cwd: clone, env: {...process.env, DKT_HOST: `host-${name}`}, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
  // A bound on its life even if this process dies first.
  const watchdog = spawn('sh', ['-c', `sleep ${WORKER_LIFE_S}; kill -KILL ${child.pid} 2>/dev/null`], {stdio: 'ignore', detached: true})
  watchdog.unref()
  const worker = {name, events: [], stderr: '', exited: new Promise((resolve) => child.on('close', resolve))}
  let buffered = ''
  child.stdout.on('data', (chunk) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop()
    for (const line of lines) if (line.trim()) worker.events.push(JSON.parse(line))
  })
  child.stderr.on('data', (chunk) => (worker.stderr += chunk))
  worker.exited.then(() => watchdog.kill('SIGKILL'))
  worker.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return worker.exited
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await worker.exited
    clearTimeout(timer)
  }
  return worker
}

const eventsOf = (workers, type) => workers.flatMap((w) => w.events.filter((e) => e.type === type))
const runManifests = (bare) => git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main', '--', 'runs/'], tmp).split('\n').filter((f) => f.endsWith('.json'))
const failures = (workers) => eventsOf(workers, 'run-finished').filter((e) => e.run.status !== 'success').length + eventsOf(workers, 'run-error').length

/** N workers on one remote, RUNS trivial runs: runs recorded per second, push attempts. */
async function throughput(daemon, served, workerCount) {
  const label = `tp${workerCount}`
  process.stdout.write(`  ${workerCount} worker(s), ${RUNS} runs: setting up ... `)
  const project = fleetProject(daemon, served, label, RUNS, workerCount)
  process.stdout.write('running ... ')
  const spawnedAt = Date.now()
  const workers = project.clones.map((clone, i) => startWorker(clone, `${label}-w${i + 1}`))
  try {
    const pushedRuns = () => eventsOf(workers, 'remote-pushed').reduce((sum, e) => sum + e.runs, 0)
    // Done when the remote holds every run's manifest (checked every half second: a git call is load too).
    let manifests = 0
    await waitUntil(async () => {
      await new Promise((resolve) => setTimeout(resolve, 450))
      manifests = runManifests(project.bare).length
      return manifests >= RUNS || failures(workers) > 0
    }, `${RUNS} runs recorded on the remote by ${workerCount} workers`, MEASURE_TIMEOUT_MS)
    const doneAt = Date.now()
    if (failures(workers) > 0) throw new Error(`workers (${workerCount}): ${failures(workers)} runs not successful: ${workers.map((w) => w.stderr).join('\n').slice(0, 1000)}`)
    // The last push's event comes after the remote has it.
    await waitUntil(() => pushedRuns() >= RUNS, `the remote-pushed events of ${RUNS} runs`, 60_000)
    const time = (e) => Date.parse(e.time)
    const pushes = eventsOf(workers, 'remote-pushed').filter((e) => e.runs > 0)
    const firstStart = Math.min(...eventsOf(workers, 'run-started').map(time))
    const lastPush = Math.max(...pushes.map(time))
    const attempts = pushes.map((e) => e.attempts)
    const perWorker = workers.map((w) => w.events.filter((e) => e.type === 'run-started').length)
    const result = {
      workers: workerCount,
      runs: RUNS,
      runs_per_s: round2(RUNS / ((lastPush - firstStart) / 1000)),
      first_run_to_last_push_ms: lastPush - firstStart,
      spawn_to_all_pushed_ms: doneAt - spawnedAt,
      pushes: pushes.length,
      runs_per_push: round2(RUNS / pushes.length),
      worst_attempts: Math.max(...attempts),
      median_attempts: median(attempts),
      retried_pushes: attempts.filter((a) => a > 1).length,
      runs_started_per_worker: perWorker,
      fenced: eventsOf(workers, 'fenced').length,
      // Runs executed (and pushed) more than once: should be 0 (recorded once, executed at least once).
      runs_pushed_in_events: pushedRuns(),
      runs_started: eventsOf(workers, 'run-started').length,
    }
    console.log(`${result.runs_per_s} runs/s, worst attempts ${result.worst_attempts}`)
    return result
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
}

/** Time from a new commit pushed to the source to its run starting on a worker (and to its record on the remote). */
async function latency(daemon, served, workerCount) {
  const label = `lat${workerCount}`
  process.stdout.write(`  ${workerCount} worker(s), ${LATENCY_ROUNDS} new commits: setting up ... `)
  const project = fleetProject(daemon, served, label, 1, workerCount)
  const workers = project.clones.map((clone, i) => startWorker(clone, `${label}-w${i + 1}`))
  const samples = []
  try {
    const pushed = () => eventsOf(workers, 'remote-pushed').reduce((sum, e) => sum + e.runs, 0)
    await waitUntil(() => pushed() >= 1, 'the first run recorded', MEASURE_TIMEOUT_MS)
    // Let every worker settle (beats seen, nothing due) before the first new commit.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    process.stdout.write('measuring ... ')
    for (let r = 0; r < LATENCY_ROUNDS; r++) {
      const version = project.upstream.advance()
      const pushedAt = Date.now()
      const started = () => eventsOf(workers, 'run-started').find((e) => e.run.inputs.app === version)
      await waitUntil(started, `the run on ${version}`, 60_000)
      const recordedBefore = r + 1
      await waitUntil(() => pushed() >= recordedBefore + 1, `the run on ${version} recorded`, 60_000)
      const recorded = eventsOf(workers, 'remote-pushed').filter((e) => e.runs > 0).map((e) => Date.parse(e.time)).sort((a, b) => a - b).at(-1)
      samples.push({version, to_run_started_ms: Date.parse(started().time) - pushedAt, to_recorded_ms: recorded - pushedAt})
      // Spread the commits over the polling interval.
      await new Promise((resolve) => setTimeout(resolve, 1000 + 137 * r))
    }
    if (failures(workers) > 0) throw new Error(`latency (${workerCount}): runs not successful: ${workers.map((w) => w.stderr).join('\n').slice(0, 1000)}`)
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
  const started = samples.map((s) => s.to_run_started_ms)
  const recorded = samples.map((s) => s.to_recorded_ms)
  const result = {
    workers: workerCount,
    rounds: LATENCY_ROUNDS,
    to_run_started_ms: {median: median(started), min: Math.min(...started), max: Math.max(...started)},
    to_recorded_ms: {median: median(recorded), min: Math.min(...recorded), max: Math.max(...recorded)},
    samples,
  }
  console.log(`median ${result.to_run_started_ms.median} ms to start`)
  return result
}

async function main() {
  ensureBuilt()
  const t0 = performance.now()
  const served = path.join(tmp, 'served')
  mkdirSync(served, {recursive: true})
  const daemon = await startGitDaemon(served)
  try {
    console.log(`workers: throughput (${RUNS} runs of \`true\` over one git source, workers at --concurrency ${CONCURRENCY}) in ${tmp}`)
    const tp = []
    for (const n of WORKER_COUNTS) tp.push(await throughput(daemon, served, n))
    console.log('workers: latency (a new commit pushed to the git source, polled every 1 s by the observing worker)')
    const lat = []
    for (const n of LATENCY_WORKERS) lat.push(await latency(daemon, served, n))

    console.log(`\nthroughput: ${RUNS} trivial runs on one remote`)
    console.log(
      formatTable([
        ['workers', 'runs/s', 'first run → last push', 'pushes', 'runs/push', 'worst attempts', 'median attempts', 'retried pushes', 'runs started', 'runs per worker'],
        ...tp.map((r) => [r.workers, r.runs_per_s.toFixed(2), `${(r.first_run_to_last_push_ms / 1000).toFixed(1)} s`, r.pushes, r.runs_per_push, r.worst_attempts, r.median_attempts, r.retried_pushes, r.runs_started, r.runs_started_per_worker.join('/')]),
      ]),
    )
    console.log(`\nlatency: new commit on the git source → its run (medians of ${LATENCY_ROUNDS}, min-max)`)
    console.log(
      formatTable([
        ['workers', 'to run started', 'min-max', 'to recorded on the remote', 'min-max'],
        ...lat.map((r) => [r.workers, `${r.to_run_started_ms.median} ms`, `${r.to_run_started_ms.min}-${r.to_run_started_ms.max}`, `${r.to_recorded_ms.median} ms`, `${r.to_recorded_ms.min}-${r.to_recorded_ms.max}`]),
      ]),
    )
    const results = {
      benchmark: 'workers',
      date: new Date().toISOString(),
      environment: environment(),
      config: {runs: RUNS, worker_counts: WORKER_COUNTS, latency_rounds: LATENCY_ROUNDS, latency_workers: LATENCY_WORKERS, worker_flags: WORKER_FLAGS, node_extra_ca_certs_unset: Boolean(extraCaCerts)},
      throughput: tp,
      latency: lat,
      wall_s: round1((performance.now() - t0) / 1000),
    }
    const file = writeResults('workers', results)
    console.log(`\nwrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
  } finally {
    daemon.stop()
  }
}

const {dir: tmp, cleanup} = makeTempDir('dkt-bench-workers-')
try {
  await main()
} finally {
  cleanup()
}
