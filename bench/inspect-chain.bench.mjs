// inspect-chain benchmark: `dkt inspect` (JSON manifest and --dot) of the last version of a 1000-deep provenance
// chain s0 → n1 → s1 → … → n1000 → s1000, generated directly on disk with dkt's own ID functions and committed once.
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {GIT_IDENTITY, ROOT, benchRuns, dkt, ensureBuilt, envInt, formatTable, makeTempDir, packageVersion, run, summarize, writeResults, environment} from './lib.mjs'

/** env BENCH_CHAIN_DEPTH, default 1000. */
const DEPTH = envInt('BENCH_CHAIN_DEPTH', 1000, 2)
const WARMUP = 1
const RUNS = benchRuns(5)
/** Depths inspected: one level (the fixed cost: startup, resolving the target), the middle, the whole chain. */
const DEPTHS = [...new Set([1, Math.ceil(DEPTH / 2), DEPTH])]
const MODES = [
  {key: 'json', label: 'manifest (JSON)', args: []},
  {key: 'dot', label: '--dot', args: ['--dot']},
]

ensureBuilt()
// dkt's own pure ID, JSON and tree-digest functions (plain JS after the build), so the generated IDs are real ones.
const dist = (rel) => import(pathToFileURL(path.join(ROOT, 'dist', rel)).href)
const {nodeId, runId, shortId} = await dist('core/ids.js')
const {canonicalJson, compactJson} = await dist('base/canonical-json.js')
const {hashTree} = await dist('kinds/path/hash-tree.js')

/**
 * Node i reads s(i-1) and writes s(i): it copies its input's file and appends one line (`s<i>`). ($0 is `step`, not
 * `sh`: `dkt node run` reorders a command whose arguments repeat an earlier word, see bench/README.md.)
 */
const nodeCommand = (i) => ['sh', '-c', `cp "$1/data.txt" "$2/data.txt" && echo s${i} >> "$2/data.txt"`, 'step', `\${s${i - 1}:ROOT}`, `\${s${i}:ROOT}`]
const dataContent = (i) => Array.from({length: i + 1}, (_, k) => `s${k}\n`).join('')

function lastObservation(projectDir, name) {
  const lines = readFileSync(path.join(projectDir, '.dkt', 'versions', `${name}.jsonl`), 'utf8').trim().split('\n')
  return JSON.parse(lines.at(-1))
}

/** A project with `dkt init` and the path source s0 (data/s0/data.txt), added by the real CLI. */
function startProject(projectDir) {
  mkdirSync(path.join(projectDir, 'data', 's0'), {recursive: true})
  writeFileSync(path.join(projectDir, 'data', 's0', 'data.txt'), dataContent(0))
  dkt(['init'], projectDir)
  dkt(['source', 'add', 's0', './data/s0'], projectDir)
  return lastObservation(projectDir, 's0').version
}

/**
 * Writes sources/s1..sN, versions/s1..sN.jsonl, nodes/*, runs/*\/* (manifest and empty log) as `dkt source add` over
 * an empty folder followed by `dkt node run` would, and the data folders with the content the commands would produce.
 * Returns the chain: versions[i] of s(i), nodes[i], runs[i].
 */
async function generateChain(projectDir, depth, v0) {
  const meta = path.join(projectDir, '.dkt')
  const write = (rel, text) => {
    mkdirSync(path.dirname(path.join(meta, rel)), {recursive: true})
    writeFileSync(path.join(meta, rel), text)
  }
  const machine = {hostname: os.hostname(), os: process.platform, arch: process.arch}
  const dktVersion = packageVersion(ROOT)
  const emptyFolder = 'md5:d41d8cd98f00b204e9800998ecf8427e'
  let clock = Date.now() - depth * 1000
  const at = () => new Date((clock += 100)).toISOString()
  const chain = {versions: [v0], nodes: [null], runs: [null]}
  for (let i = 1; i <= depth; i++) {
    const name = `s${i}`
    const input = `s${i - 1}`
    const folder = path.join(projectDir, 'data', name)
    mkdirSync(folder, {recursive: true})
    writeFileSync(path.join(folder, 'data.txt'), dataContent(i))
    const version = (await hashTree(folder)).version

    const identity = {command: nodeCommand(i), labels: [], inputs: [input], outputs: [name]}
    const node = {format: 1, id: nodeId(identity), ...identity}
    const inputs = {[input]: chain.versions[i - 1]}
    const id = runId(node.id, inputs)
    const addedAt = at()
    const startedAt = at()
    const endedAt = at()
    const record = {
      format: 1,
      id,
      key: id,
      attempt: 1,
      node: node.id,
      command: node.command,
      scriptDigest: null,
      image: null,
      labels: [],
      inputs,
      outputs: {[name]: version},
      status: 'success',
      exitCode: 0,
      signal: null,
      reason: null,
      startedAt,
      endedAt,
      machine,
      dktVersion,
      hooks: {},
      outputTruncated: false,
    }
    write(`sources/${name}.json`, canonicalJson({format: 1, name, kind: 'path', location: `data/${name}`}))
    // As `dkt source add` over the (then empty) output folder, then the run's output with its provenance.
    const lines = [compactJson({observed: addedAt, version: emptyFolder}), compactJson({node: node.id, observed: endedAt, run: id, version})]
    write(`versions/${name}.jsonl`, lines.join('\n') + '\n')
    write(`nodes/${node.id}.json`, canonicalJson(node))
    write(`runs/${node.id}/${id}.json`, canonicalJson(record))
    write(`runs/${node.id}/${id}.log`, '')
    chain.versions.push(version)
    chain.nodes.push(node.id)
    chain.runs.push(id)
  }
  run('git', ['add', 'sources', 'versions', 'nodes', 'runs'], {cwd: meta})
  run('git', ['commit', '-q', '-m', `bench: generated ${depth}-deep provenance chain s0 → s${depth}`], {cwd: meta, env: {...process.env, ...GIT_IDENTITY}})
  return chain
}

/**
 * Proves the generator writes what dkt writes: in a separate project, the real CLI adds s1 and runs node 1; its node
 * ID, run ID, run inputs/outputs and output version must equal the generated ones for i = 1.
 */
async function checkGenerator() {
  const realDir = path.join(tmp, 'check-real')
  const v0 = startProject(realDir)
  mkdirSync(path.join(realDir, 'data', 's1'), {recursive: true})
  dkt(['source', 'add', 's1', './data/s1'], realDir)
  dkt(['node', 'run', '--input', 's0', '--output', 's1', '--', ...nodeCommand(1)], realDir)
  const realObs = lastObservation(realDir, 's1')
  const realRun = JSON.parse(readFileSync(path.join(realDir, '.dkt', 'runs', realObs.node, `${realObs.run}.json`), 'utf8'))

  const genDir = path.join(tmp, 'check-generated')
  const chain = await generateChain(genDir, 1, startProject(genDir))
  const same = (what, a, b) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`generator check: ${what} differs from the real CLI's: ${JSON.stringify(b)} vs ${JSON.stringify(a)}`)
  }
  same('s0 version', v0, chain.versions[0])
  same('node ID', realObs.node, chain.nodes[1])
  same('run ID', realObs.run, chain.runs[1])
  same('s1 version', realObs.version, chain.versions[1])
  same('run inputs/outputs', {inputs: realRun.inputs, outputs: realRun.outputs}, {inputs: {s0: v0}, outputs: {s1: chain.versions[1]}})
  const generatedRun = JSON.parse(readFileSync(path.join(genDir, '.dkt', 'runs', chain.nodes[1], `${chain.runs[1]}.json`), 'utf8'))
  same('run manifest keys', Object.keys(realRun), Object.keys(generatedRun))
  same('node definition', readFileSync(path.join(realDir, '.dkt', 'nodes', `${realObs.node}.json`), 'utf8'), readFileSync(path.join(genDir, '.dkt', 'nodes', `${chain.nodes[1]}.json`), 'utf8'))
}

async function main() {
  const t0 = performance.now()
  process.stdout.write(`inspect-chain: checking the generator against a real \`dkt node run\` ... `)
  await checkGenerator()
  process.stdout.write(`ok\ninspect-chain: generating a ${DEPTH}-deep chain in ${tmp} ... `)
  const projectDir = path.join(tmp, 'project')
  const tGen = performance.now()
  const chain = await generateChain(projectDir, DEPTH, startProject(projectDir))
  const generateS = Math.round((performance.now() - tGen) / 100) / 10
  const metaFiles = (dir) => readdirSync(path.join(projectDir, '.dkt', dir), {recursive: true}).length
  process.stdout.write(`done (${generateS} s)\n`)

  // Validation, untimed: the whole chain is walked, and the project is consistent (every node up to date).
  const target = (depth) => `s${depth}:${shortId(chain.versions[depth].split(':')[1])}`
  const entries = JSON.parse(dkt(['inspect', target(DEPTH), '--json'], projectDir).stdout)
  const runEntries = entries.filter((e) => 'node' in e).length
  if (entries.length !== 2 * DEPTH + 1 || runEntries !== DEPTH) {
    throw new Error(`dkt inspect ${target(DEPTH)} returned ${entries.length} entries (${runEntries} runs), expected ${2 * DEPTH + 1} (${DEPTH} runs)`)
  }
  if (entries[0].version !== `s0:${chain.versions[0]}` || entries.at(-1).version !== `s${DEPTH}:${chain.versions[DEPTH]}`) {
    throw new Error(`dkt inspect ${target(DEPTH)}: the manifest does not go from s0 to s${DEPTH}`)
  }
  dkt(['status'], projectDir)
  const statuses = JSON.parse(dkt(['status', '--json'], projectDir).stdout)
  const upToDate = statuses.filter((s) => !s.due && s.reasons.join() === 'up to date').length
  if (statuses.length !== DEPTH || upToDate !== DEPTH) throw new Error(`dkt status: ${upToDate} of ${statuses.length} nodes up to date, expected ${DEPTH} of ${DEPTH}`)

  const cases = DEPTHS.flatMap((depth) =>
    MODES.map((mode) => ({
      key: `${mode.key}_depth_${depth}`,
      mode: mode.key,
      depth,
      label: `inspect s${depth} ${mode.label}`,
      command: `node bin/run.js inspect ${target(depth)}${mode.args.length ? ` ${mode.args.join(' ')}` : ''}`,
      time: () => {
        const result = dkt(['inspect', target(depth), ...mode.args], projectDir)
        // Not an empty or truncated answer: the last version of the chain is in it.
        const shape = mode.key === 'dot' ? result.stdout.startsWith('digraph') : result.stdout.startsWith('# manifest for')
        if (!shape || !result.stdout.includes(chain.versions[depth])) throw new Error(`dkt inspect ${target(depth)} ${mode.args.join(' ')}: output lacks ${chain.versions[depth]}`)
        return {ms: result.ms, bytes: Buffer.byteLength(result.stdout)}
      },
    })),
  )
  // For scale: `dkt status` over the same project (reads every node and its runs).
  cases.push({
    key: 'status',
    mode: 'status',
    depth: DEPTH,
    label: `status (${DEPTH} nodes)`,
    command: 'node bin/run.js status',
    entries: DEPTH,
    time: () => {
      const result = dkt(['status'], projectDir)
      if (!result.stdout.startsWith('nothing to run')) throw new Error(`dkt status found something to run:\n${result.stdout.slice(0, 500)}`)
      return {ms: result.ms, bytes: Buffer.byteLength(result.stdout)}
    },
  })

  // Rounds are interleaved (each round runs every case once), so drift in machine load hits all cases alike.
  const samples = Object.fromEntries(cases.map((c) => [c.key, []]))
  const bytes = {}
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const c of cases) {
      const {ms, bytes: size} = c.time()
      bytes[c.key] = size
      if (round >= WARMUP) samples[c.key].push(ms)
    }
  }

  const round2 = (x) => Math.round(x * 100) / 100
  const round3 = (x) => Math.round(x * 1000) / 1000
  const commands = Object.fromEntries(
    cases.map((c) => [c.key, {label: c.label, command: c.command, mode: c.mode, depth: c.depth, entries: c.entries ?? 2 * c.depth + 1, output_bytes: bytes[c.key], ...summarize(samples[c.key])}]),
  )
  // Per level: the plain average (the whole median / depth), and the marginal cost of one more level (the slope between
  // depth 1 and the full depth), which leaves out the fixed cost of starting dkt.
  const perLevel = Object.fromEntries(
    MODES.map((mode) => {
      const full = commands[`${mode.key}_depth_${DEPTH}`].median_ms
      const one = commands[`${mode.key}_depth_1`].median_ms
      return [mode.key, {median_ms: full, ms_per_level: round3(full / DEPTH), marginal_ms_per_level: round3((full - one) / (DEPTH - 1))}]
    }),
  )

  const results = {
    benchmark: 'inspect-chain',
    date: new Date().toISOString(),
    environment: environment(),
    config: {runs: RUNS, warmup: WARMUP, depth: DEPTH, depths: DEPTHS, target: target(DEPTH)},
    project: {
      sources: DEPTH + 1,
      nodes: DEPTH,
      runs: DEPTH,
      files: {sources: metaFiles('sources'), versions: metaFiles('versions'), nodes: metaFiles('nodes'), runs: metaFiles('runs')},
      generate_s: generateS,
      validated: {inspect_entries: entries.length, inspect_runs: runEntries, status_nodes_up_to_date: upToDate},
    },
    commands,
    per_level: perLevel,
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
  }
  const file = writeResults('inspect-chain', results)

  const fmt = (x) => x.toFixed(1)
  console.log(`\ninspect-chain: ${RUNS} runs (+${WARMUP} warmup), median wall clock, spawn to exit; chain of ${DEPTH} runs, validated (${entries.length} entries, ${upToDate} nodes up to date)`)
  console.log(
    formatTable([
      ['command', 'entries', 'output KB', 'median ms', 'min ms', 'max ms'],
      ...cases.map((c) => {
        const r = commands[c.key]
        return [c.label, r.entries, (r.output_bytes / 1024).toFixed(0), fmt(r.median_ms), fmt(r.min_ms), fmt(r.max_ms)]
      }),
    ]),
  )
  console.log('')
  console.log(
    formatTable([
      [`depth ${DEPTH}`, 'median ms', 'ms / level', 'marginal ms / level'],
      ...MODES.map((mode) => [mode.label, fmt(perLevel[mode.key].median_ms), perLevel[mode.key].ms_per_level.toFixed(3), perLevel[mode.key].marginal_ms_per_level.toFixed(3)]),
    ]),
  )
  console.log(`\nwrote ${path.relative(process.cwd(), file)} (${results.wall_s} s)`)
}

const {dir: tmp, cleanup} = makeTempDir('dkt-bench-inspect-chain-')
try {
  await main()
} finally {
  cleanup()
}
