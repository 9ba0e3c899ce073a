// A TEST server that speaks the documented HockeyApp API v2 (HockeyApp itself was retired): app version listings
// and build downloads of real files, on 127.0.0.1, in the test process (node:http), stopped at the end of a suite.
import {randomBytes} from 'node:crypto'
import {createReadStream, writeFileSync} from 'node:fs'
import * as http from 'node:http'
import type {AddressInfo} from 'node:net'
import * as path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {tempDir} from './tmp.js'

export interface PublishedBuild {
  id: number
  build: string
  shortVersion: string
  fileName: string
  file: string
  timestamp: number
  size: number
  /** Part of the build's direct download URL (a signed link): downloads need it, and no API token. */
  downloadKey: string
}

export interface HockeyAppServer {
  /** `http://127.0.0.1:PORT`: the API base (what DKT_HOCKEYAPP_URL or `hockeyapp.url` is set to). */
  url: string
  /** The one API token the server accepts. */
  token: string
  /** Creates an app with no builds; returns its public identifier (32 hex digits). */
  addApp(title?: string): string
  /**
   * Uploads a build of an app: the bytes are written to a file the server serves as they are. The test computes
   * their md5 itself; the server never tells one.
   */
  publish(appId: string, build: {build: string; content: Buffer | string; shortVersion?: string; fileName?: string}): PublishedBuild
  /** How many times each build number of an app was downloaded. */
  downloads(appId: string): Record<string, number>
  /** Every request received: path (no query) and the token header, if any. */
  requests: {path: string; token?: string}[]
  stop(): Promise<void>
}

interface App {
  title: string
  builds: PublishedBuild[]
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text)})
  res.end(text)
}

export async function startHockeyAppServer(options: {token?: string} = {}): Promise<HockeyAppServer> {
  const token = options.token ?? randomBytes(16).toString('hex')
  const files = tempDir('dkt-hockeyapp-files-')
  const apps = new Map<string, App>()
  const downloads = new Map<string, Record<string, number>>()
  const requests: {path: string; token?: string}[] = []
  let nextId = 1000
  let clock = 1_700_000_000
  let base = ''

  const versionJson = (appId: string, build: PublishedBuild, includeBuildUrls: boolean) => ({
    id: build.id,
    version: build.build,
    shortversion: build.shortVersion,
    title: apps.get(appId)?.title,
    timestamp: build.timestamp,
    appsize: build.size,
    notes: `<p>build ${build.build}</p>`,
    mandatory: false,
    status: 2,
    device_family: null,
    minimum_os_version: '10.11',
    config_url: `${base}/manage/apps/${appId}/app_versions/${build.id}`,
    download_url: `${base}/apps/${appId}/app_versions/${build.id}`,
    ...(includeBuildUrls ? {build_url: `${base}/api/2/apps/${appId}/app_versions/${build.id}?format=dmg&key=${build.downloadKey}`} : {}),
  })

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base)
    const sentToken = req.headers['x-hockeyapptoken']
    requests.push({path: url.pathname, token: typeof sentToken === 'string' ? sentToken : undefined})
    if (req.method !== 'GET') return json(res, 405, {status: 'error', message: 'method not allowed'})

    const listing = /^\/api\/2\/apps\/([^/]+)\/app_versions\/?$/.exec(url.pathname)
    if (listing) {
      if (sentToken !== token) return json(res, 401, {errors: {credentials: ['not valid']}})
      const app = apps.get(listing[1])
      if (!app) return json(res, 404, {errors: {app: ['not found']}})
      const includeBuildUrls = url.searchParams.get('include_build_urls') === 'true'
      // Newest first, as HockeyApp lists them.
      const versions = [...app.builds].reverse().map((build) => versionJson(listing[1], build, includeBuildUrls))
      return json(res, 200, {app_versions: versions, status: 'success'})
    }

    const download = /^\/api\/2\/apps\/([^/]+)\/app_versions\/(\d+)$/.exec(url.pathname)
    if (download) {
      const build = apps.get(download[1])?.builds.find((b) => String(b.id) === download[2])
      if (!build || url.searchParams.get('key') !== build.downloadKey) return json(res, 404, {errors: {build: ['not found']}})
      const counts = downloads.get(download[1]) ?? {}
      counts[build.build] = (counts[build.build] ?? 0) + 1
      downloads.set(download[1], counts)
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': build.size,
        'Content-Disposition': `attachment; filename="${build.fileName}"`,
      })
      createReadStream(build.file).pipe(res)
      return
    }
    json(res, 404, {errors: {path: ['not found']}})
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: base,
    token,
    requests,
    addApp(title = 'Docker') {
      const appId = randomBytes(16).toString('hex')
      apps.set(appId, {title, builds: []})
      return appId
    },
    publish(appId, {build, content, shortVersion = '1.0', fileName = `Docker-${build}.dmg`}) {
      const app = apps.get(appId)
      if (!app) throw new Error(`test server: no app ${appId}`)
      const id = nextId++
      const file = path.join(files, `${id}.bin`)
      const bytes = Buffer.from(content)
      writeFileSync(file, bytes)
      clock += 60
      const published: PublishedBuild = {id, build, shortVersion, fileName, file, timestamp: clock, size: bytes.length, downloadKey: randomBytes(8).toString('hex')}
      app.builds.push(published)
      return published
    },
    downloads: (appId) => ({...downloads.get(appId)}),
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A HockeyApp test server for the current suite: started before its tests, stopped after. */
export function hockeyAppServerForSuite(options: {token?: string} = {}): {readonly server: HockeyAppServer} {
  const state: {server?: HockeyAppServer} = {}
  beforeAll(async () => {
    state.server = await startHockeyAppServer(options)
  })
  afterAll(async () => {
    await state.server?.stop()
  })
  return {
    get server() {
      return state.server as HockeyAppServer
    },
  }
}
