// A real S3 API server (s3rver) on 127.0.0.1 for the tests: started as a child process on a fresh data folder,
// bounded by `timeout`, stopped by PID; plus a client and an independent reading of what the server stores.
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import type {S3Client} from '@aws-sdk/client-s3'

import {REPO_ROOT} from './cli.js'
import {waitFor} from './git-daemon.js'
import {tempDir} from './tmp.js'

/** s3rver's single account. */
export const S3_ACCESS_KEY = 'S3RVER'
export const S3_SECRET_KEY = 'S3RVER'
const OBJECT_SUFFIX = '._S3rver_object'

export interface S3Server {
  port: number
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  /** The folder s3rver stores buckets in: `<dir>/<bucket>/<key>._S3rver_object`. */
  dataDir: string
  stop(): Promise<void>
}

export async function startS3Server(): Promise<S3Server> {
  const bin = path.join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js')
  if (!existsSync(bin)) throw new Error('s3rver is not installed: run `npm install` (it is a dev dependency)')
  const dataDir = tempDir('dkt-s3data-')
  // DES continuation tokens (paginated listings) need OpenSSL's legacy provider; `timeout` bounds the server's life
  // even if this test process dies without stopping it. Port 0: the server picks one and prints it.
  const child: ChildProcess = spawn('timeout', ['900', process.execPath, bin, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '--silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: {...process.env, NODE_OPTIONS: '--openssl-legacy-provider'},
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await waitFor(() => /listening on [\d.]+:\d+/.test(output) || child.exitCode !== null, 's3rver to listen', 20_000)
  const port = Number(/listening on [\d.]+:(\d+)/.exec(output)?.[1])
  if (!port) throw new Error(`s3rver did not start: ${output}`)
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid, 'SIGTERM')
        await exited
      }
    },
  }
}

/** A client of the test server, configured as dkt configures its own (see src/kinds/s3/client.ts). */
export async function s3Client(endpoint: string, keys = {accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY}): Promise<S3Client> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const {S3Client} = await import('@aws-sdk/client-s3')
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: keys,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

export interface S3Fixture {
  readonly server: S3Server
  readonly endpoint: string
  client(): Promise<S3Client>
  createBucket(bucket: string): Promise<void>
  put(bucket: string, objects: Record<string, string | Buffer>): Promise<void>
  remove(bucket: string, keys: string[]): Promise<void>
  /** Every object under `prefix`: key → content, read back through the API. */
  read(bucket: string, prefix?: string): Promise<Record<string, string>>
  /** Keys under `prefix`, read from the server's data folder. */
  storedKeys(bucket: string, prefix?: string): string[]
}

/**
 * An s3rver for the current test suite: started before its tests on a new data folder, stopped after.
 * Use at the top of a file or inside a describe block; call the methods inside tests.
 */
export function s3ForSuite(): S3Fixture {
  const state: {server?: S3Server; client?: S3Client} = {}
  beforeAll(async () => {
    state.server = await startS3Server()
  }, 30_000)
  afterAll(async () => {
    state.client?.destroy()
    await state.server?.stop()
  })
  const client = async () => (state.client ??= await s3Client((state.server as S3Server).endpoint))
  const fixture: S3Fixture = {
    get server() {
      return state.server as S3Server
    },
    get endpoint() {
      return (state.server as S3Server).endpoint
    },
    client,
    async createBucket(bucket) {
      const {CreateBucketCommand} = await import('@aws-sdk/client-s3')
      await (await client()).send(new CreateBucketCommand({Bucket: bucket}))
    },
    async put(bucket, objects) {
      const {PutObjectCommand} = await import('@aws-sdk/client-s3')
      const c = await client()
      const entries = Object.entries(objects)
      // A few at a time: s3rver writes each object as three files.
      for (let i = 0; i < entries.length; i += 16) {
        await Promise.all(entries.slice(i, i + 16).map(([Key, Body]) => c.send(new PutObjectCommand({Bucket: bucket, Key, Body}))))
      }
    },
    async remove(bucket, keys) {
      const {DeleteObjectCommand} = await import('@aws-sdk/client-s3')
      const c = await client()
      for (const Key of keys) await c.send(new DeleteObjectCommand({Bucket: bucket, Key}))
    },
    async read(bucket, prefix = '') {
      const {GetObjectCommand} = await import('@aws-sdk/client-s3')
      const c = await client()
      const result: Record<string, string> = {}
      for (const key of fixture.storedKeys(bucket, prefix)) {
        const object = await c.send(new GetObjectCommand({Bucket: bucket, Key: key}))
        result[key] = (await object.Body?.transformToString()) ?? ''
      }
      return result
    },
    storedKeys(bucket, prefix = '') {
      return storedObjects((state.server as S3Server).dataDir, bucket, prefix).map((o) => o.key)
    },
  }
  return fixture
}

/** Objects as s3rver keeps them on disk: key, size and the md5 of the content, read without the S3 API. */
export function storedObjects(dataDir: string, bucket: string, prefix = ''): {key: string; size: number; md5: string}[] {
  const root = path.join(dataDir, bucket)
  const found: {key: string; size: number; md5: string}[] = []
  const walk = (dir: string, rel: string) => {
    for (const dirent of readdirSync(dir, {withFileTypes: true})) {
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name
      if (dirent.isDirectory()) walk(path.join(dir, dirent.name), relPath)
      else if (dirent.name.endsWith(OBJECT_SUFFIX)) {
        const file = path.join(dir, dirent.name)
        const key = relPath.slice(0, -OBJECT_SUFFIX.length)
        if (!key.startsWith(prefix)) continue
        found.push({key, size: statSync(file).size, md5: createHash('md5').update(readFileSync(file)).digest('hex')})
      }
    }
  }
  if (existsSync(root)) walk(root, '')
  return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
}
