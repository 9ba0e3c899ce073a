import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {type CliResult, dkt, dktJson, dktOk, startDkt} from '../../helpers/cli.js'
import {freePort, waitFor} from '../../helpers/git-daemon.js'
import {newProject} from '../../helpers/project.js'
import {S3_ACCESS_KEY, s3ForSuite, storedObjects} from '../../helpers/s3.js'
import {startTcpProxy, type TcpProxy} from '../../helpers/tcp-proxy.js'

// s3rver checks the access key but not V4 signatures, so any secret works with it: a distinctive one is easy to
// look for in everything dkt writes or prints.
const SECRET = 'sEcReT-s3-Key-2f9c81'

const s3 = s3ForSuite()
let buckets = 0

async function bucket(objects: Record<string, string> = {}): Promise<string> {
  const name = `bkt-${++buckets}`
  await s3.createBucket(name)
  await s3.put(name, objects)
  return name
}

async function s3Project(keys: {access?: string; secret?: string; endpoint?: string} = {}): Promise<string> {
  const dir = await newProject(['--s3-access-key', keys.access ?? S3_ACCESS_KEY, '--s3-secret-key', keys.secret ?? SECRET])
  await dktOk(['config', 'set', 's3.endpoint', keys.endpoint ?? s3.endpoint], {cwd: dir})
  return dir
}

const commits = (dir: string) => execFileSync('git', ['-C', path.join(dir, '.dkt'), 'rev-list', '--count', 'HEAD'], {encoding: 'utf8'}).trim()

/** The digest of a listing, computed here from the server's own files: md5 over `MD5 SIZE KEY\n` in key order. */
function expectedDigest(bucketName: string, prefix: string): string {
  const hash = createHash('md5')
  for (const object of storedObjects(s3.server.dataDir, bucketName, prefix)) hash.update(`${object.md5} ${object.size} ${object.key.slice(prefix.length)}\n`)
  return `md5:${hash.digest('hex')}`
}

function expectOneLineError(result: CliResult, exitCode: number, pattern: RegExp): void {
  expect(result.exitCode).toBe(exitCode)
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(result.stderr).toMatch(pattern)
  expect(result.stdout).toBe('')
}

interface NodeLog {
  runs: {status: string; inputs: Record<string, string>; outputs: Record<string, string>}[]
}

interface LogEntry {
  version: string
  info: Record<string, string>
}

describe('s3 sources', () => {
  it('adds a bucket prefix, records a new version after an upload, and lists both in source log', async () => {
    const name = await bucket({'raw/a.txt': 'hello', 'raw/sub/b.txt': 'world', 'other.txt': 'not under the prefix'})
    const dir = await s3Project()
    const result = await dkt(['source', 'add', 'data', name, '-k', 's3', '-p', 'raw/', '--json'], {cwd: dir})
    expect(result.stderr).toBe('') // no SDK warning, no progress
    const added = JSON.parse(result.stdout) as {kind: string; location: string; path: string; latest: string}
    expect(added).toMatchObject({kind: 's3', location: name, path: '/raw', latest: expectedDigest(name, 'raw/')})

    const unchanged = await dktJson<{changed: boolean}>(['source', 'update', 'data'], {cwd: dir})
    expect(unchanged.changed).toBe(false)
    await s3.put(name, {'raw/c.txt': 'new'})
    const updated = await dktJson<{changed: boolean; version: string}>(['source', 'update', 'data'], {cwd: dir})
    expect(updated).toMatchObject({changed: true, version: expectedDigest(name, 'raw/')})

    const log = await dktJson<LogEntry[]>(['source', 'log', 'data'], {cwd: dir})
    expect(log.map((e) => e.version)).toEqual([updated.version, added.latest])
    expect(log[0].info).toEqual({OBJECTS: '3', SIZE: '13 B'})
    const table = await dktOk(['source', 'log', 'data'], {cwd: dir})
    expect(table.split('\n')[0]).toMatch(/^ID\s+OBJECTS\s+SIZE\s+FULL$/)
  })

  it('takes s3://bucket/prefix without -k, and the same listing gives the same version', async () => {
    const name = await bucket({'p/x.txt': 'x'})
    const dir = await s3Project()
    const viaUrl = await dktJson<{kind: string; location: string; latest: string}>(['source', 'add', 'a', `s3://${name}/p/`], {cwd: dir})
    expect(viaUrl).toMatchObject({kind: 's3', location: `s3://${name}/p`})
    const viaFlag = await dktJson<{latest: string}>(['source', 'add', 'b', name, '-k', 's3', '-p', 'p'], {cwd: dir})
    expect(viaFlag.latest).toBe(viaUrl.latest)
  })

  it('digests every key of a paginated listing (past 1,000 keys) under the prefix only', async () => {
    const objects: Record<string, string> = {}
    for (let i = 0; i < 1050; i++) objects[`many/${String(i).padStart(4, '0')}.txt`] = `object ${i}\n`
    objects['many-not/x.txt'] = 'outside'
    objects['zzz.txt'] = 'outside'
    const name = await bucket(objects)
    const dir = await s3Project()
    const added = await dktJson<{latest: string}>(['source', 'add', 'many', name, '-k', 's3', '-p', 'many'], {cwd: dir})
    expect(storedObjects(s3.server.dataDir, name, 'many/')).toHaveLength(1050)
    expect(added.latest).toBe(expectedDigest(name, 'many/'))
    const log = await dktJson<LogEntry[]>(['source', 'log', 'many'], {cwd: dir})
    expect(log[0].info.OBJECTS).toBe('1050')
  }, 120_000)

  it('rejects a missing bucket (exit 2), refused credentials and an unreachable endpoint (exit 1), recording nothing', async () => {
    const name = await bucket({'a.txt': 'a'})
    const dir = await s3Project()
    const before = commits(dir)
    expectOneLineError(await dkt(['source', 'add', 'data', 'no-such-bucket', '-k', 's3'], {cwd: dir}), 2, /^Error: bucket `no-such-bucket` does not exist at S3 endpoint http:\/\/127\.0\.0\.1:\d+/)
    expect(commits(dir)).toBe(before)

    const badKeys = await s3Project({access: 'NOT-A-KEY'})
    const badBefore = commits(badKeys)
    expectOneLineError(await dkt(['source', 'add', 'data', name, '-k', 's3'], {cwd: badKeys}), 1, /^Error: .*refused the credentials.*InvalidAccessKeyId.*s3-access-key/)
    expect(commits(badKeys)).toBe(badBefore)

    const unreachable = await s3Project({endpoint: `http://127.0.0.1:${await freePort()}`})
    const offBefore = commits(unreachable)
    expectOneLineError(await dkt(['source', 'add', 'data', name, '-k', 's3'], {cwd: unreachable}), 1, /^Error: cannot reach S3 endpoint .*connection refused/)
    expect(commits(unreachable)).toBe(offBefore)

    // An update that cannot reach the endpoint records nothing either.
    await dktOk(['source', 'add', 'data', name, '-k', 's3'], {cwd: dir})
    const added = commits(dir)
    await dktOk(['config', 'set', 's3.endpoint', `http://127.0.0.1:${await freePort()}`], {cwd: dir})
    const update = await dkt(['source', 'update', 'data'], {cwd: dir})
    expect(update.exitCode).toBe(1)
    expect(update.stderr).toMatch(/cannot reach S3 endpoint/)
    expect(commits(dir)).toBe(added)
  })

  it('runs a node that reads an s3 input and writes an s3 output: the objects are uploaded and the version recorded', async () => {
    const input = await bucket({'in/a.txt': 'hello\n', 'in/deep/b.txt': 'world\n'})
    const output = await bucket({'out/stale.txt': 'removed by the run\n', 'out/keep.txt': 'kept\n'})
    const dir = await s3Project()
    await dktOk(['source', 'add', 'data', `s3://${input}/in`], {cwd: dir})
    await dktOk(['source', 'add', 'result', `s3://${output}/out`], {cwd: dir})
    const script = [
      'set -e',
      'test "$(cat "${result:ROOT}/keep.txt")" = kept', // the output folder holds the current content
      'cat "${data:ROOT}/a.txt" "${data:ROOT}/deep/b.txt" > "${result:ROOT}/joined.txt"',
      'rm "${result:ROOT}/stale.txt"',
      'mkdir -p "${result:ROOT}/nested" && echo "${data:BUCKET} ${data:PREFIX}" > "${result:ROOT}/nested/where.txt"',
    ].join('\n')
    writeFileSync(path.join(dir, 'join.sh'), `#!/bin/sh\n${script}\n`)
    // s3rver rewrites an object's file on every PUT: an unchanged mtime means the object was not uploaded again.
    const keepFile = path.join(s3.server.dataDir, output, 'out', 'keep.txt._S3rver_object')
    const keepWritten = statSync(keepFile).mtimeMs
    const run = await dkt(['node', 'run', '--input', 'data', '--output', 'result', './join.sh'], {cwd: dir})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).not.toMatch(/files,/) // progress is drawn on a terminal only

    expect(await s3.read(output, 'out/')).toEqual({
      'out/joined.txt': 'hello\nworld\n',
      'out/keep.txt': 'kept\n',
      'out/nested/where.txt': `${input} in/\n`,
    })
    expect(statSync(keepFile).mtimeMs).toBe(keepWritten)
    const produced = expectedDigest(output, 'out/')
    const log = await dktJson<LogEntry[]>(['source', 'log', 'result'], {cwd: dir})
    expect(log[0].version).toBe(produced)
    // The version the run published shows what it holds, as an observed one does.
    const bytes = storedObjects(s3.server.dataDir, output, 'out/').reduce((sum, o) => sum + o.size, 0)
    expect(log[0].info).toEqual({OBJECTS: '3', SIZE: `${bytes} B`})
    expect((await dktOk(['source', 'log', 'result'], {cwd: dir})).split('\n')[1]).toMatch(new RegExp(`^${produced.slice(4, 12)}\\s+3\\s+${bytes} B\\s+${produced}$`))
    // …recorded with its observation, so it outlives the local copy.
    const versionsLine = readFileSync(path.join(dir, '.dkt', 'versions', 'result.jsonl'), 'utf8').trim().split('\n').pop() ?? ''
    expect(JSON.parse(versionsLine)).toMatchObject({version: produced, info: {OBJECTS: '3', SIZE: `${bytes} B`}})
    const {runs} = await dktJson<NodeLog>(['node', 'log', run.stdout.split('\n')[0]], {cwd: dir})
    expect(runs[0]).toMatchObject({status: 'success', outputs: {result: produced}})

    // Publishing the same content again changes nothing in the bucket and gives the same version.
    const again = await dkt(['node', 'run', '--output', 'result', 'true'], {cwd: dir})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(expectedDigest(output, 'out/')).toBe(produced)
    expect(statSync(keepFile).mtimeMs).toBe(keepWritten)
    const {runs: againRuns} = await dktJson<NodeLog>(['node', 'log', again.stdout.split('\n')[0]], {cwd: dir})
    expect(againRuns[0].outputs).toEqual({result: produced})
  })

  it('reuses the cached copy of an input version, re-checks it, and says so when the version is gone', async () => {
    const name = await bucket({'d/a.txt': 'one\n'})
    const dir = await s3Project()
    await dktOk(['source', 'add', 'data', `s3://${name}/d`], {cwd: dir})
    const nodeId = (await dktOk(['node', 'run', '--input', 'data', '--', 'cat', '${data:ROOT}/a.txt'], {cwd: dir})).split('\n')[0]

    // The bucket moves on, but the recorded version has a local copy: a rerun needs nothing from the bucket.
    await s3.put(name, {'d/a.txt': 'two\n'})
    const rerun = await dkt(['node', 'rerun', nodeId], {cwd: dir})
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    expect(rerun.stdout).toContain('one\n')

    // A copy a run changed is not trusted; without an intact copy, the version that is gone cannot be fetched.
    const cacheRoot = path.join(dir, '.dkt', 'cache', 's3')
    const [placeDir] = readdirSync(cacheRoot)
    const [versionDir] = readdirSync(path.join(cacheRoot, placeDir))
    writeFileSync(path.join(cacheRoot, placeDir, versionDir, 'root', 'a.txt'), 'tampered\n')
    const before = commits(dir)
    const gone = await dkt(['node', 'rerun', nodeId], {cwd: dir})
    expect(gone.exitCode).toBe(2)
    expect(gone.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(gone.stderr).toMatch(/^Error: version md5:[0-9a-f]{32} of s3 source `data` is no longer the content of s3:\/\/bkt-\d+\/d\/ \(now md5:[0-9a-f]{32}\), and no copy of it is cached/)
    expect(commits(dir)).toBe(before)

    rmSync(cacheRoot, {recursive: true, force: true})
    const fetch = await dkt(['source', 'fetch', `data:${versionDir.slice(0, 8)}`, path.join(dir, 'copy')], {cwd: dir})
    expect(fetch.exitCode).toBe(2)
  })

  it('is polled by the scheduler: a new version found by --once runs the node on it', async () => {
    const name = await bucket({'s/a.txt': 'first\n'})
    const dir = await s3Project()
    await dktOk(['source', 'add', 'data', `s3://${name}/s`], {cwd: dir})
    const nodeId = (await dktOk(['node', 'run', '--input', 'data', '--', 'cat', '${data:ROOT}/a.txt'], {cwd: dir})).split('\n')[0]
    await s3.put(name, {'s/a.txt': 'second\n'})
    const scheduler = await dkt(['scheduler', '--once'], {cwd: dir})
    expect(scheduler.exitCode, scheduler.stderr).toBe(0)
    const {runs} = await dktJson<NodeLog>(['node', 'log', nodeId], {cwd: dir})
    expect(runs[0]).toMatchObject({status: 'success', inputs: {data: expectedDigest(name, 's/')}})
    expect(runs).toHaveLength(2)
  })

  it('never writes or prints the keys', async () => {
    const name = await bucket({'k/a.txt': 'a'})
    const dir = await s3Project()
    const outputs = [
      await dkt(['source', 'add', 'data', `s3://${name}/k`], {cwd: dir}),
      await dkt(['source', 'add', 'out', `s3://${name}/out`], {cwd: dir}),
      await dkt(['node', 'run', '--input', 'data', '--output', 'out', '--', 'cp', '${data:ROOT}/a.txt', '${out:ROOT}/b.txt'], {cwd: dir}),
      await dkt(['source', 'log', 'out'], {cwd: dir}),
      await dkt(['source', 'add', 'nope', 'no-such-bucket', '-k', 's3'], {cwd: dir}),
    ]
    const history = execFileSync('git', ['-C', path.join(dir, '.dkt'), 'log', '-p', '--all'], {encoding: 'utf8'})
    const tracked = execFileSync('git', ['-C', path.join(dir, '.dkt'), 'ls-files'], {encoding: 'utf8'})
    for (const text of [history, tracked, ...outputs.flatMap((o) => [o.stdout, o.stderr])]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain(S3_ACCESS_KEY)
    }
    expect(history).toContain('source add out')
  })
})

/** The only run of a project's only node, as recorded. */
function onlyRun(dir: string): {status: string; reason: string | null} {
  const runs = path.join(dir, '.dkt', 'runs')
  const [node] = readdirSync(runs)
  const [run] = readdirSync(path.join(runs, node)).filter((f) => f.endsWith('.json'))
  return JSON.parse(readFileSync(path.join(runs, node, run), 'utf8')) as {status: string; reason: string | null}
}

const md5 = (bytes: Buffer | Uint8Array) => createHash('md5').update(bytes).digest('hex')

/** Reads each object back from the server and compares its md5 (and the md5 dkt stored with it) with the file's. */
async function expectStored(bucketName: string, prefix: string, files: Record<string, Buffer>): Promise<void> {
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  const client = await s3.client()
  for (const [name, bytes] of Object.entries(files)) {
    const object = await client.send(new GetObjectCommand({Bucket: bucketName, Key: `${prefix}${name}`}))
    expect(object.Metadata?.['dkt-md5']).toBe(md5(bytes))
    expect(md5(await (object.Body as {transformToByteArray(): Promise<Uint8Array>}).transformToByteArray())).toBe(md5(bytes))
  }
}

describe('s3 outputs with large files', () => {
  it('uploads files of 3 MB and 20 MB (the SDK waits for 100 Continue before it sends them) intact', async () => {
    const output = await bucket()
    // A server that answers a little late: the file streams must not run ahead of the request while it waits.
    const proxy = await startTcpProxy(s3.server.port)
    proxy.delayAnswers(300)
    try {
      const dir = await s3Project({endpoint: proxy.endpoint})
      await dktOk(['source', 'add', 'result', `s3://${output}/big`], {cwd: dir})
      const files = {'three.bin': randomBytes(3_000_000), 'twenty.bin': randomBytes(20_000_000)}
      for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes)
      const run = await dkt(['node', 'run', '--output', 'result', '--', 'cp', 'three.bin', 'twenty.bin', '${result:ROOT}/'], {cwd: dir})
      expect(run.exitCode, run.stderr).toBe(0)
      await expectStored(output, 'big/', files)
      const log = await dktJson<LogEntry[]>(['source', 'log', 'result'], {cwd: dir})
      expect(log[0].version).toBe(expectedDigest(output, 'big/'))
    } finally {
      await proxy.stop()
    }
  }, 120_000)

  /**
   * A project whose s3 output `result` is reached through a proxy, with a 3 MB file to upload; the proxy goes silent
   * after 1 MB. `run` starts the upload; the proxy is stopped afterwards.
   */
  async function hangingUpload(settings: Record<string, string>, run: (dir: string, proxy: TcpProxy) => Promise<void>): Promise<void> {
    const output = await bucket()
    const proxy = await startTcpProxy(s3.server.port)
    try {
      const dir = await s3Project({endpoint: proxy.endpoint})
      for (const [key, value] of Object.entries(settings)) await dktOk(['config', 'set', key, value], {cwd: dir})
      await dktOk(['source', 'add', 'result', `s3://${output}/hang`], {cwd: dir})
      writeFileSync(path.join(dir, 'big.bin'), randomBytes(3_000_000))
      proxy.stallAfter(1_000_000)
      await run(dir, proxy)
    } finally {
      await proxy.stop()
    }
  }

  const UPLOAD = ['node', 'run', '--output', 'result', '--', 'cp', 'big.bin', '${result:ROOT}/']

  it('gives up on a server that stops answering mid-upload after `s3.timeout`, in one sentence (exit 1)', async () => {
    await hangingUpload({'s3.timeout': '2'}, async (dir, proxy) => {
      const started = Date.now()
      const run = await dkt(UPLOAD, {cwd: dir})
      expect(proxy.stalled).toBe(true)
      expect(run.exitCode).toBe(1)
      expect(Date.now() - started).toBeLessThan(30_000)
      const lines = run.stderr.trimEnd().split('\n')
      expect(lines.filter((line) => /sent nothing for 2 s/.test(line))).toHaveLength(1)
      expect(lines.at(-1)).toMatch(/: error .*publishing the outputs failed: .*sent nothing for 2 s, so dkt gave up on bucket `bkt-\d+`; try again, or allow longer with `dkt config set s3.timeout SECONDS`; outputs -$/)
      expect(run.stderr).not.toMatch(/smithy|non-retryable|WARN/)
      expect(onlyRun(dir)).toMatchObject({status: 'error'})
    })
  }, 60_000)

  it('stops an upload on Ctrl-C: the run ends, is recorded as cancelled, and dkt exits', async () => {
    // The default timeout (60 s) is far away: only Ctrl-C can end this run soon.
    await hangingUpload({}, async (dir, proxy) => {
      const started = startDkt(UPLOAD, {cwd: dir})
      await waitFor(() => proxy.stalled, 'the upload to stall', 30_000)
      const interrupted = Date.now()
      started.child.kill('SIGINT')
      expect(await started.exited).toBe(1)
      expect(Date.now() - interrupted).toBeLessThan(15_000)
      expect(started.stderr).toMatch(/: cancelled/)
      expect(onlyRun(dir)).toMatchObject({status: 'cancelled'})
    })
  }, 60_000)
})
