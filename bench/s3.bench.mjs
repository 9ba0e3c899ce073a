// s3 benchmark: what one poll of an s3 source costs (ListObjectsV2 requests and ms per check) for prefixes of 10,
// 1,000 and 10,000 keys, against a real S3 API (s3rver) on 127.0.0.1; and the listing digest of 10,000 keys alone.
import {spawn} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {ROOT, benchRuns, countingProxy, dkt, ensureBuilt, environment, formatTable, makeTempDir, summarize, timeAsync, waitUntil, writeResults} from './lib.mjs'

const RUNS = benchRuns(15)
const CLI_RUNS = benchRuns(10)
const DIGEST_RUNS = benchRuns(50)
const SIZES = (process.env.BENCH_S3_SIZES ?? '10,1000,10000').split(',').map(Number)
const KEYS = {accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER'}

ensureBuilt()
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const dist = (file) => import(pathToFileURL(path.join(ROOT, 'dist', 'kinds', 's3', file)).href)
const {driver} = await dist('index.js')
const {listingDigest} = await dist('listing.js')
const require = createRequire(import.meta.url)
const {S3Client, CreateBucketCommand, ListObjectsV2Command, PutObjectCommand} = require('@aws-sdk/client-s3')

/** s3rver as a child process (OpenSSL's legacy provider: paginated listings use DES tokens), bounded by `timeout`. */
async function startS3rver(dir) {
  const bin = path.join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js')
  const child = spawn('timeout', ['1800', process.execPath, bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: {...process.env, NODE_OPTIONS: '--openssl-legacy-provider'},
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  await waitUntil(() => /listening on [\d.]+:\d+/.test(output) || child.exitCode !== null, 's3rver')
  const port = Number(/listening on [\d.]+:(\d+)/.exec(output)?.[1])
  if (!port) throw new Error(`s3rver did not start: ${output}`)
  return {port, stop: () => process.kill(-child.pid, 'SIGTERM')}
}

const {dir: work, cleanup} = makeTempDir('dkt-bench-s3-')
const server = await startS3rver(path.join(work, 'data'))
const rows = [['case', 'requests/check', 'median ms', 'min', 'max']]
const results = {checks: {}}
try {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${server.port}`,
    forcePathStyle: true,
    credentials: KEYS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  await client.send(new CreateBucketCommand({Bucket: 'bench'}))
  const setupStart = Date.now()
  for (const size of SIZES) {
    const keys = Array.from({length: size}, (_, i) => `n${size}/part-${String(i).padStart(5, '0')}.csv`)
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(keys.slice(i, i + 32).map((Key) => client.send(new PutObjectCommand({Bucket: 'bench', Key, Body: `row ${Key}\n`}))))
    }
  }
  const setupSeconds = (Date.now() - setupStart) / 1000

  const proxy = await countingProxy(server.port)
  const ctx = {cacheDir: path.join(work, 'cache'), baseDir: work, secrets: {'s3-access-key': KEYS.accessKeyId, 's3-secret-key': KEYS.secretAccessKey}, settings: {'s3.endpoint': `http://127.0.0.1:${proxy.port}`}}
  for (const size of SIZES) {
    const source = {name: `n${size}`, kind: 's3', location: 'bench', path: `/n${size}`}
    const [version] = await driver.check(source, undefined, ctx) // warmup: the SDK is imported once per process
    proxy.reset()
    const samples = []
    for (let i = 0; i < RUNS; i++) {
      samples.push(
        await timeAsync(async () => {
          const [again] = await driver.check(source, version, ctx)
          if (again !== version) throw new Error(`the listing of ${size} keys changed between checks`)
        }),
      )
    }
    const requests = proxy.total() / RUNS
    // The floor: the same paginated ListObjectsV2 calls on a client made once, nothing else (no digest, no setup).
    const bare = []
    for (let i = 0; i < RUNS; i++) {
      bare.push(
        await timeAsync(async () => {
          let token
          do {
            const page = await client.send(new ListObjectsV2Command({Bucket: 'bench', Prefix: `n${size}/`, ContinuationToken: token}))
            token = page.IsTruncated ? page.NextContinuationToken : undefined
          } while (token)
        }),
      )
    }
    const summary = summarize(samples)
    const floor = summarize(bare)
    results.checks[size] = {requests_per_check: requests, ...summary, bare_listing: floor}
    rows.push([`driver check, ${size} keys`, requests, summary.median_ms, summary.min_ms, summary.max_ms])
    rows.push([`bare ListObjectsV2 pages, ${size} keys`, requests, floor.median_ms, floor.min_ms, floor.max_ms])
  }
  client.destroy()
  proxy.close()

  // The whole CLI for the smallest prefix: `dkt source update` in a project, process start and SDK import included.
  const project = path.join(work, 'project')
  mkdirSync(project, {recursive: true})
  dkt(['init', '--s3-access-key', KEYS.accessKeyId, '--s3-secret-key', KEYS.secretAccessKey], project)
  dkt(['config', 'set', 's3.endpoint', `http://127.0.0.1:${server.port}`], project)
  dkt(['source', 'add', 'small', `s3://bench/n${SIZES[0]}`], project)
  const cli = []
  for (let i = 0; i < CLI_RUNS; i++) cli.push(dkt(['source', 'update', 'small'], project).ms)
  results.cli_source_update = {keys: SIZES[0], ...summarize(cli)}
  rows.push([`dkt source update (CLI), ${SIZES[0]} keys`, Math.ceil(SIZES[0] / 1000) || 1, results.cli_source_update.median_ms, results.cli_source_update.min_ms, results.cli_source_update.max_ms])

  // The digest alone (pure, no I/O): 10,000 listed objects with S3-like keys and ETags.
  const objects = Array.from({length: 10_000}, (_, i) => ({key: `dataset/part-${String(9_999 - i).padStart(5, '0')}.csv`, size: 1000 + i, etag: (i * 2654435761 % 2 ** 32).toString(16).padStart(32, '0')}))
  listingDigest(objects)
  const digestSamples = []
  for (let i = 0; i < DIGEST_RUNS; i++) digestSamples.push(await timeAsync(async () => listingDigest(objects)))
  results.listing_digest_10000 = summarize(digestSamples)
  rows.push(['listing digest of 10000 keys (pure)', 0, results.listing_digest_10000.median_ms, results.listing_digest_10000.min_ms, results.listing_digest_10000.max_ms])

  console.log(formatTable(rows))
  console.log(`\nsetup: ${SIZES.join(' + ')} objects uploaded in ${setupSeconds.toFixed(1)} s`)
  const file = writeResults('s3', {environment: environment({server: 's3rver 3.7.1'}), runs: RUNS, results})
  console.log(`results: ${file}`)
} finally {
  server.stop()
  cleanup()
}
