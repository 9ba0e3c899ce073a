// Shared benchmark helpers: timing a spawned process or a function, medians, temp dirs, local servers (free port,
// waiting, a counting proxy), the minimal oclif CLI and the dkt test project.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** /work/main (the dkt package root). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const DKT_BIN = path.join(ROOT, 'bin', 'run.js')
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results')

/** Number of timed runs: env BENCH_RUNS (a positive integer), default 15. */
export function benchRuns(defaultRuns = 15) {
  const raw = process.env.BENCH_RUNS
  if (raw === undefined || raw === '') return defaultRuns
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

/** An integer setting from env `name` (at least `min`), `fallback` when unset or empty. */
export function envInt(name, fallback, min) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`)
  return n
}

/** Author and committer of the commits a benchmark makes itself in a generated .dkt (env of the git child only). */
export const GIT_IDENTITY = {GIT_AUTHOR_NAME: 'dkt', GIT_AUTHOR_EMAIL: 'dkt@localhost', GIT_COMMITTER_NAME: 'dkt', GIT_COMMITTER_EMAIL: 'dkt@localhost'}

export function median(values) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** min / median / max of a list of milliseconds, rounded to 0.01 ms. */
export function summarize(samples) {
  const round = (x) => Math.round(x * 100) / 100
  return {
    median_ms: round(median(samples)),
    min_ms: round(Math.min(...samples)),
    max_ms: round(Math.max(...samples)),
    samples_ms: samples.map(round),
  }
}

/**
 * Runs a command synchronously and returns its wall-clock time in ms (spawn to exit).
 * Throws with the command's stderr when it exits non-zero, so a broken command never becomes a fast sample.
 */
export function run(command, args, {cwd, env} = {}) {
  const start = process.hrtime.bigint()
  // maxBuffer: a deep `dkt inspect` prints megabytes (spawnSync's default, 1 MiB, would fail with ENOBUFS).
  const result = spawnSync(command, args, {cwd, env: env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  if (result.status !== 0) {
    const shown = [command, ...args].join(' ')
    throw new Error(`\`${shown}\` (in ${cwd}) exited with ${result.status ?? result.signal}:\n${result.stderr || result.stdout}`)
  }
  return {ms, stdout: result.stdout, stderr: result.stderr}
}

/** Awaits fn() and returns its wall-clock time in ms. */
export async function timeAsync(fn) {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** The version a tool prints (its trimmed stdout), or undefined when it is not installed or fails. */
export function toolVersion(command, args) {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Polls check() (sync or async; a throw counts as not yet) every 50 ms until it is truthy, or throws at the deadline. */
export async function waitUntil(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A pass-through HTTP proxy on 127.0.0.1 in front of targetPort that counts requests by method. */
export async function countingProxy(targetPort) {
  const counts = {}
  const server = http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1
    const upstream = http.request({host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers}, (answer) => {
      res.writeHead(answer.statusCode, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => Object.keys(counts).forEach((k) => delete counts[k]),
    close: () => server.close(),
  }
}

/** Runs `node bin/run.js ...args` of dkt in cwd. */
export function dkt(args, cwd) {
  try {
    return run(process.execPath, [DKT_BIN, ...args], {cwd})
  } catch (error) {
    // `npm run build` starts with `rm -rf dist oclif.manifest.json`: a build running at the same time breaks dkt.
    if (!existsSync(path.join(ROOT, 'dist', 'bundle', 'dkt.cjs')) || !existsSync(path.join(ROOT, 'oclif.manifest.json'))) {
      error.message += '\n(dist/ or oclif.manifest.json disappeared during the benchmark: was a build running at the same time?)'
    }
    throw error
  }
}

/**
 * A temp dir under os.tmpdir(), removed by cleanup() (also on SIGINT/SIGTERM, and at exit if still there).
 */
export function makeTempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  const cleanup = () => rmSync(dir, {recursive: true, force: true})
  const onSignal = (signal) => {
    cleanup()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', cleanup)
  return {dir, cleanup}
}

/**
 * Writes a tiny ESM oclif CLI with one command, `hello`, into dir and returns the path of its bin.
 * It uses the SAME @oclif/core as dkt (node_modules/@oclif/core is a symlink to ROOT's), and ships a hand-written
 * oclif.manifest.json in the shape `oclif manifest` produces, so both CLIs start from a manifest.
 */
export function createMinimalOclifCli(dir) {
  const version = '0.0.0'
  mkdirSync(path.join(dir, 'bin'), {recursive: true})
  mkdirSync(path.join(dir, 'commands'), {recursive: true})
  mkdirSync(path.join(dir, 'node_modules', '@oclif'), {recursive: true})
  symlinkSync(path.join(ROOT, 'node_modules', '@oclif', 'core'), path.join(dir, 'node_modules', '@oclif', 'core'), 'dir')

  const pkg = {
    name: 'bench-minimal-oclif',
    version,
    private: true,
    type: 'module',
    bin: {mini: './bin/run.js'},
    oclif: {bin: 'mini', dirname: 'bench-minimal-oclif', commands: './commands', topicSeparator: ' '},
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  writeFileSync(
    path.join(dir, 'bin', 'run.js'),
    "#!/usr/bin/env node\nimport {execute} from '@oclif/core'\n\nawait execute({dir: import.meta.url})\n",
  )
  writeFileSync(
    path.join(dir, 'commands', 'hello.js'),
    [
      "import {Command} from '@oclif/core'",
      '',
      'export default class Hello extends Command {',
      "  static summary = 'Say hello.'",
      '  async run() {',
      "    this.log('hello')",
      '  }',
      '}',
      '',
    ].join('\n'),
  )
  const manifest = {
    commands: {
      hello: {
        aliases: [],
        args: {},
        examples: [],
        flags: {},
        hasDynamicHelp: false,
        hiddenAliases: [],
        id: 'hello',
        pluginAlias: pkg.name,
        pluginName: pkg.name,
        pluginType: 'core',
        strict: true,
        summary: 'Say hello.',
        enableJsonFlag: false,
        isESM: true,
        relativePath: ['commands', 'hello.js'],
      },
    },
    version,
  }
  writeFileSync(path.join(dir, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  return path.join(dir, 'bin', 'run.js')
}

/** Makes folder dir/name holding one small file (its content depends on the name, so every md5 differs). */
export function makeDataFolder(parent, name) {
  const folder = path.join(parent, name)
  mkdirSync(folder, {recursive: true})
  writeFileSync(path.join(folder, 'data.txt'), `${name}\n`)
  return folder
}

/** `dkt init` in projectDir, then `count` path sources src-0..src-(count-1), each over its own data folder. */
export function createDktProject(projectDir, count) {
  mkdirSync(projectDir, {recursive: true})
  dkt(['init'], projectDir)
  const dataDir = path.join(projectDir, 'data')
  for (let i = 0; i < count; i++) {
    makeDataFolder(dataDir, `src-${i}`)
    dkt(['source', 'add', `src-${i}`, `./data/src-${i}`], projectDir)
  }
}

export function ensureBuilt() {
  for (const file of [path.join(ROOT, 'dist', 'index.js'), path.join(ROOT, 'dist', 'bundle', 'dkt.cjs'), path.join(ROOT, 'oclif.manifest.json')]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run build\` (or \`npm run bench\`)`)
  }
}

export function packageVersion(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version
}

export function writeResults(name, data) {
  mkdirSync(RESULTS_DIR, {recursive: true})
  const file = path.join(RESULTS_DIR, `${name}.json`)
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
  return file
}

/** A plain-text table: rows of cells, first row the header; columns after the first are right-aligned. */
export function formatTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/** Where and with what a benchmark ran, for its results file; `extra` adds tool versions. */
export function environment(extra = {}) {
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    git: spawnSync('git', ['--version'], {encoding: 'utf8'}).stdout.trim(),
    dkt: packageVersion(ROOT),
    ...extra,
  }
}
