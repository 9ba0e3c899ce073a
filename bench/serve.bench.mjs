// serve benchmark: page latency of `dkt serve` over a project of 10,000 runs (generated on disk with dkt's own ID
// functions and committed once), and the time from a run's end to the SSE event that tells its page.
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {DKT_BIN, GIT_IDENTITY, ROOT, benchRuns, dkt, ensureBuilt, envInt, environment, formatTable, makeTempDir, packageVersion, run, summarize, timeAsync, writeResults} from './lib.mjs'

/** env BENCH_SERVE_RUNS (default 10,000), spread over BENCH_SERVE_NODES nodes (default 10). */
const RUNS_TOTAL = envInt('BENCH_SERVE_RUNS', 10_000, 10)
const NODES = envInt('BENCH_SERVE_NODES', 10, 1)
const RUNS = benchRuns(15)
const SSE_SAMPLES = envInt('BENCH_SERVE_SSE', 3, 1)

ensureBuilt()
const dist = (rel) => import(pathToFileURL(path.join(ROOT, 'dist', rel)).href)
const {nodeId, runId} = await dist('core/ids.js')
const {canonicalJson, compactJson} = await dist('base/canonical-json.js')

/** One source `data` with RUNS_TOTAL / NODES observed versions, NODES nodes each run once on every version. */
function generate(projectDir) {
  const meta = path.join(projectDir, '.dkt')
  const write = (rel, text) => {
    mkdirSync(path.dirname(path.join(meta, rel)), {recursive: true})
    writeFileSync(path.join(meta, rel), text)
  }
  const versionsCount = Math.ceil(RUNS_TOTAL / NODES)
  const machine = {hostname: os.hostname(), os: process.platform, arch: process.arch}
  let clock = Date.now() - RUNS_TOTAL * 2000
  const at = () => new Date((clock += 1000)).toISOString()
  const versions = Array.from({length: versionsCount}, (_, i) => `md5:${(i + 1).toString(16).padStart(32, '0')}`)
  write('versions/data.jsonl', versions.map((version) => compactJson({observed: at(), version})).join('\n') + '\n')
  const nodes = Array.from({length: NODES}, (_, n) => {
    const identity = {command: ['sh', '-c', `echo node ${n}`], labels: [], inputs: ['data'], outputs: []}
    const node = {format: 1, id: nodeId(identity), ...identity}
    write(`nodes/${node.id}.json`, canonicalJson(node))
    return node
  })
  let made = 0
  const sample = {}
  for (const version of versions) {
    for (const node of nodes) {
      if (made++ >= RUNS_TOTAL) break
      const inputs = {data: version}
      const id = runId(node.id, inputs)
      const status = made % 10 === 0 ? 'failure' : 'success'
      const record = {format: 1, id, key: id, attempt: 1, node: node.id, command: node.command, scriptDigest: null, image: null, labels: [], inputs, outputs: {}, status, exitCode: status === 'success' ? 0 : 1, signal: null, reason: null, startedAt: at(), endedAt: at(), machine, dktVersion: packageVersion(ROOT), hooks: {}, outputTruncated: false}
      write(`runs/${node.id}/${id}.json`, canonicalJson(record))
      write(`runs/${node.id}/${id}.log`, Array.from({length: 50}, (_, i) => `line ${i} of run ${id.slice(0, 8)}\n`).join(''))
      sample.run ??= record
    }
  }
  run('git', ['add', 'sources', 'versions', 'nodes', 'runs'], {cwd: meta})
  run('git', ['commit', '-q', '-m', `bench: ${RUNS_TOTAL} generated runs`], {cwd: meta, env: {...process.env, ...GIT_IDENTITY}})
  return {node: nodes[0].id, run: sample.run}
}

function startServe(projectDir) {
  const child = spawn(process.execPath, [DKT_BIN, 'serve', '--port', '0'], {cwd: projectDir, stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve({url: out.split('\n')[0].replace(/\/$/, ''), child})
    })
    child.once('exit', (code) => reject(new Error(`dkt serve exited ${code}`)))
  })
}

async function fetchOk(url) {
  const response = await fetch(url)
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`)
  return response.text()
}

/** From a run's recorded end to the `end` event of its page's stream, for a short `dkt node run`. */
async function sseEndLatency(projectDir, url, i) {
  // A new command each time: the same one would be a run that already succeeded, and not run again.
  const runner = spawn(process.execPath, [DKT_BIN, 'node', 'run', '--', 'sh', '-c', `echo sample ${i}; sleep 1`], {cwd: projectDir, stdio: ['ignore', 'ignore', 'inherit']})
  const exited = new Promise((resolve) => runner.once('exit', resolve))
  let running
  for (const deadline = Date.now() + 30_000; !running && Date.now() < deadline; ) {
    running = JSON.parse(await fetchOk(`${url}/runs?status=running&format=json`)).runs[0]
    if (!running) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  if (!running) throw new Error('no running run appeared')
  const response = await fetch(`${url}/runs/${running.node}/${running.id}/events`)
  const reader = response.body.getReader()
  let text = ''
  let endAt
  while (endAt === undefined) {
    const {value, done} = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
    if (text.includes('event: end')) endAt = Date.now()
  }
  await reader.cancel()
  await exited
  const record = JSON.parse(await fetchOk(`${url}/runs/${running.node}/${running.id}?format=json`)).run
  return endAt - Date.parse(record.endedAt)
}

async function main() {
  const {dir: tmp} = makeTempDir('dkt-bench-serve-')
  const projectDir = path.join(tmp, 'project')
  mkdirSync(path.join(projectDir, 'data'), {recursive: true})
  dkt(['init'], projectDir)
  dkt(['source', 'add', 'data', './data'], projectDir)
  process.stdout.write(`serve: generating ${RUNS_TOTAL} runs of ${NODES} nodes ... `)
  const sample = generate(projectDir)
  process.stdout.write('done\n')
  const {url, child} = await startServe(projectDir)
  try {
    const firstPage = JSON.parse(await fetchOk(`${url}/runs?format=json`))
    const pages = [
      ['front page', '/'],
      ['runs, first page', '/runs'],
      ['runs, failures', '/runs?status=failure'],
      ['runs, page 100', `/runs?after=${firstPage.next}`],
      ['run page', `/runs/${sample.run.node}/${sample.run.id}`],
      ['node page', `/nodes/${sample.node}`],
      ['source page', '/sources/data'],
      ['metrics', '/metrics'],
    ]
    // Page 100: the cursor of the 99th page (found untimed).
    let after = firstPage.next
    for (let i = 2; i < 100; i++) {
      const next = JSON.parse(await fetchOk(`${url}/runs?format=json&after=${after}`)).next
      if (!next) break
      after = next
    }
    pages[3][1] = `/runs?after=${after}`
    const cold = {}
    for (const [label, page] of pages) {
      cold[label] = await timeAsync(() => fetchOk(`${url}${page}`))
      process.stdout.write(`serve: first ${label}: ${Math.round(cold[label])} ms\n`)
    }
    const samples = Object.fromEntries(pages.map(([label]) => [label, []]))
    for (let round = 0; round < RUNS; round++) for (const [label, page] of pages) samples[label].push(await timeAsync(() => fetchOk(`${url}${page}`)))
    const sse = []
    for (let i = 0; i < SSE_SAMPLES; i++) sse.push(await sseEndLatency(projectDir, url, i))
    const results = Object.fromEntries(pages.map(([label, page]) => [label, {path: page, first_ms: Math.round(cold[label]), ...summarize(samples[label])}]))
    console.log(formatTable([['page (warm)', 'first ms', 'median ms', 'min ms', 'max ms'], ...pages.map(([label]) => [label, Math.round(cold[label]), results[label].median_ms, results[label].min_ms, results[label].max_ms])]))
    const sseSummary = summarize(sse)
    console.log(`\nrun end → SSE "end" event: median ${sseSummary.median_ms} ms (min ${sseSummary.min_ms}, max ${sseSummary.max_ms}) over ${SSE_SAMPLES} runs`)
    const file = writeResults('serve', {runs: RUNS_TOTAL, nodes: NODES, pages: results, sse_end_ms: sseSummary, environment: environment()})
    console.log(`results: ${path.relative(ROOT, file)}`)
  } finally {
    child.kill('SIGTERM')
  }
}

await main()
