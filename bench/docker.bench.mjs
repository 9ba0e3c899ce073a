// docker benchmark: what one poll of a docker source costs (registry requests and ms per check), against Debian's
// docker-registry on 127.0.0.1, with and without basic auth; a bare HEAD request is the floor.
import {spawn, execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, openSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {ROOT, benchRuns, countingProxy, dkt, ensureBuilt, environment, formatTable, freePort, makeTempDir, summarize, timeAsync, waitUntil, writeResults} from './lib.mjs'

const RUNS = benchRuns(50)
const CLI_RUNS = benchRuns(10)
const USER = {username: 'bench', password: 'bench-pw'}

ensureBuilt()
const {driver} = await import(pathToFileURL(path.join(ROOT, 'dist', 'kinds', 'docker', 'index.js')).href)

const basicAuth = (auth) => `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`

/** Debian's docker-registry on a free port, bounded by `timeout`, optionally with htpasswd basic auth. */
async function startRegistry(dir, auth) {
  const port = await freePort()
  let authBlock = ''
  if (auth) {
    const hash = execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', auth.password], {
      encoding: 'utf8',
      env: {...process.env, PYTHONWARNINGS: 'ignore'},
    }).trim()
    writeFileSync(path.join(dir, 'htpasswd'), `${auth.username}:${hash}\n`)
    authBlock = `auth: {htpasswd: {realm: bench, path: ${path.join(dir, 'htpasswd')}}}\n`
  }
  const config = path.join(dir, 'registry.yml')
  writeFileSync(config, `version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${dir}/data}}\nhttp: {addr: 127.0.0.1:${port}}\n${authBlock}`)
  const log = openSync(path.join(dir, 'registry.log'), 'a')
  const child = spawn('timeout', ['600', 'docker-registry', 'serve', config], {stdio: ['ignore', log, log], detached: true})
  await waitUntil(async () => [200, 401].includes((await fetch(`http://127.0.0.1:${port}/v2/`)).status), `docker-registry on ${port}`)
  return {port, stop: () => process.kill(-child.pid, 'SIGTERM')}
}

/** Pushes a one-layer image through the registry API itself (no engine needed): config blob, layer blob, manifest. */
async function pushSyntheticImage(port, repository, tag, auth) {
  const headers = auth ? {Authorization: basicAuth(auth)} : {}
  const base = `http://127.0.0.1:${port}/v2/${repository}`
  const upload = async (bytes) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    const start = await fetch(`${base}/blobs/uploads/`, {method: 'POST', headers})
    const location = new URL(start.headers.get('location'), base)
    location.searchParams.set('digest', digest)
    const put = await fetch(location, {method: 'PUT', headers: {...headers, 'Content-Type': 'application/octet-stream'}, body: bytes})
    if (put.status !== 201) throw new Error(`blob upload failed: ${put.status}`)
    return {digest, size: bytes.length}
  }
  const layer = await upload(Buffer.from(`layer of ${repository}:${tag}`))
  const config = await upload(Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux', rootfs: {type: 'layers', diff_ids: [layer.digest]}})))
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {mediaType: 'application/vnd.docker.container.image.v1+json', ...config},
    layers: [{mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer}],
  })
  const put = await fetch(`${base}/manifests/${tag}`, {method: 'PUT', headers: {...headers, 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json'}, body: manifest})
  if (put.status !== 201) throw new Error(`manifest upload failed: ${put.status}`)
  return put.headers.get('docker-content-digest')
}

const {dir: work, cleanup} = makeTempDir('dkt-bench-docker-')
const rows = [['case', 'requests/check', 'median ms/check', 'ratio to bare HEAD']]
const results = {}
try {
  for (const variant of [{key: 'open', auth: undefined}, {key: 'basic_auth', auth: USER}]) {
    const dir = path.join(work, variant.key)
    mkdirSync(dir, {recursive: true})
    const registry = await startRegistry(dir, variant.auth)
    try {
      const digest = await pushSyntheticImage(registry.port, 'team/web', 'latest', variant.auth)
      const proxy = await countingProxy(registry.port)
      const source = {name: 'web', kind: 'docker', location: `127.0.0.1:${proxy.port}/team/web`, tag: 'latest'}
      const ctx = {cacheDir: dir, baseDir: dir, secrets: variant.auth ? {'docker-token': `${USER.username}:${USER.password}`} : {}, settings: {}}
      // First check of a process: answers the auth challenge (if any) once.
      proxy.reset()
      const [first] = await driver.check(source, undefined, ctx)
      if (first !== digest) throw new Error(`driver saw ${first}, the push reported ${digest}`)
      const firstRequests = proxy.total()
      proxy.reset()
      const samples = []
      for (let i = 0; i < RUNS; i++) samples.push(await timeAsync(() => driver.check(source, digest, ctx)))
      const requests = proxy.total() / RUNS
      const bare = []
      const headers = {Accept: 'application/vnd.docker.distribution.manifest.v2+json'}
      if (variant.auth) headers.Authorization = basicAuth(USER)
      for (let i = 0; i < RUNS; i++) bare.push(await timeAsync(() => fetch(`http://127.0.0.1:${registry.port}/v2/team/web/manifests/latest`, {method: 'HEAD', headers})))
      proxy.close()

      // The whole CLI: `dkt source update` in a project (process start included), nothing new each time.
      const project = path.join(dir, 'project')
      mkdirSync(project, {recursive: true})
      dkt(['init', ...(variant.auth ? ['--docker-token', `${USER.username}:${USER.password}`] : [])], project)
      dkt(['source', 'add', 'web', `127.0.0.1:${registry.port}/team/web`, '-k', 'docker'], project)
      const cli = []
      for (let i = 0; i < CLI_RUNS; i++) cli.push(dkt(['source', 'update', 'web'], project).ms)

      const check = summarize(samples)
      const floor = summarize(bare)
      const cliUpdate = summarize(cli)
      results[variant.key] = {first_check_requests: firstRequests, requests_per_check: requests, check, bare_head: floor, cli_source_update: cliUpdate}
      rows.push([`${variant.key}: first check`, firstRequests, '', ''])
      rows.push([`${variant.key}: driver check`, requests, check.median_ms, `${(check.median_ms / floor.median_ms).toFixed(2)}x`])
      rows.push([`${variant.key}: bare HEAD`, 1, floor.median_ms, '1.00x'])
      rows.push([`${variant.key}: dkt source update (CLI)`, firstRequests, cliUpdate.median_ms, `${(cliUpdate.median_ms / floor.median_ms).toFixed(0)}x`])
    } finally {
      registry.stop()
    }
  }
  console.log(formatTable(rows))
  const file = writeResults('docker', {environment: environment({registry: 'docker-registry (Debian)'}), runs: RUNS, results})
  console.log(`\nresults: ${file}`)
} finally {
  cleanup()
}
