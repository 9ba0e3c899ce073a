// Downloaded HockeyApp builds in the kind's cache: each upload is downloaded once and its md5 remembered by its key.
import {createHash} from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import type {ReadableStream as WebReadableStream} from 'node:stream/web'

import {writeFileAtomic} from '../../base/atomic-write.js'
import {DktError, RemoteUnreachableError} from '../../base/errors.js'
import {makeVersion, type Version, versionHex} from '../../base/version.js'
import type {DriverContext} from '../driver.js'
import {md5File} from '../file-digest.js'
import {assertOk, httpRequest} from '../http.js'
import {downloadHashed, progressReporter} from '../progress.js'
import type {Build} from './api.js'
import type {AppRef} from './location.js'

/** A download that delivers no byte for this long is given up (a whole download may take much longer). */
const STALL_MS = 60_000
/** Upper bound of a whole download, so that nothing waits forever. */
const DOWNLOAD_TIMEOUT_MS = 6 * 3_600_000
const INDEX_FORMAT = 1

interface IndexEntry {
  md5: string
  build: string
  timestamp?: number
}

interface IndexFile {
  format: number
  builds: Record<string, IndexEntry>
}

/** What a verified download looked like on disk, so that an unchanged file is not hashed again. */
interface VerifiedMarker {
  file: string
  size: number
  mtimeMs: number
  ino: number
}

/** A safe file name for the download: the server's (Content-Disposition, else the URL's), or `build-N.FORMAT`. */
export function buildFileName(build: Pick<Build, 'build' | 'url'>, contentDisposition: string | null): string {
  const clean = (name: string) => path.posix.basename(name.replaceAll('\\', '/')).replace(/[^\w.+-]/g, '_').replace(/^\.+/, '')
  const star = contentDisposition ? /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(contentDisposition)?.[1] : undefined
  const plain = contentDisposition ? /filename\s*=\s*"?([^";]+)"?/.exec(contentDisposition)?.[1] : undefined
  let fromHeader: string | undefined
  try {
    fromHeader = star ? decodeURIComponent(star.trim()) : plain?.trim()
  } catch {
    fromHeader = plain?.trim()
  }
  const url = new URL(build.url)
  const last = decodeURIComponent(url.pathname.split('/').at(-1) ?? '')
  for (const candidate of [fromHeader, /\.\w+$/.test(last) ? last : undefined]) {
    const name = candidate === undefined ? '' : clean(candidate)
    if (name && name !== '.' && name !== '..') return name
  }
  const format = url.searchParams.get('format')?.replace(/[^\w]/g, '')
  return `build-${clean(build.build) || 'unknown'}.${format || 'bin'}`
}

export class BuildCache {
  private constructor(
    /** This app's folder under the kind's cache: `<md5 hex>/FILE` per build, plus `builds.json`. */
    readonly dir: string,
    private readonly appId: string,
    private index: Record<string, IndexEntry>,
  ) {}

  static async open(cacheDir: string, ref: AppRef): Promise<BuildCache> {
    const server = createHash('sha1').update(ref.base).digest('hex').slice(0, 8)
    const dir = path.join(cacheDir, `${ref.appId}-${server}`)
    return new BuildCache(dir, ref.appId, await readIndex(dir))
  }

  /** The md5 version of a listed build, if it was downloaded before. */
  knownVersion(build: Build): Version | undefined {
    const entry = this.index[build.key]
    return entry ? makeVersion('md5', entry.md5) : undefined
  }

  /** The keys of the uploads known to have these bytes. */
  keysOf(version: Version): string[] {
    const hex = versionHex(version)
    return Object.entries(this.index)
      .filter(([, entry]) => entry.md5 === hex)
      .map(([key]) => key)
  }

  /** The build number of a version: the newest upload known to have these bytes. */
  buildNumber(version: Version): string | undefined {
    const hex = versionHex(version)
    let best: IndexEntry | undefined
    for (const entry of Object.values(this.index)) {
      if (entry.md5 === hex && (best === undefined || (entry.timestamp ?? 0) >= (best.timestamp ?? 0))) best = entry
    }
    return best?.build
  }

  /** The version of a listed build: remembered, or found by downloading it (once). */
  async version(build: Build, ctx: DriverContext): Promise<Version> {
    return this.knownVersion(build) ?? this.download(build, ctx)
  }

  /**
   * The version of a listed build: remembered, or learnt by streaming the build through md5 without keeping it
   * (once), for a listing of every build that need not fill the disk; `fetch` downloads it when a run needs it.
   */
  async hashedVersion(build: Build, ctx: DriverContext): Promise<Version> {
    const known = this.knownVersion(build)
    if (known) return known
    const {hex} = await this.fetchInto(build, undefined, ctx)
    await this.remember(build, hex)
    return makeVersion('md5', hex)
  }

  /** The folder holding the build of `version`, if it is in the cache and its bytes still have that md5. */
  async verifiedRoot(version: Version): Promise<string | undefined> {
    const hex = versionHex(version)
    const root = path.join(this.dir, hex)
    const markerFile = `${root}.ok`
    const marker = JSON.parse(await fs.readFile(markerFile, 'utf8').catch(() => 'null')) as VerifiedMarker | null
    const candidates = marker ? [marker.file] : await fs.readdir(root).catch(() => [])
    if (candidates.length !== 1) return undefined
    const file = path.join(root, candidates[0])
    const info = await fs.stat(file).catch(() => undefined)
    if (!info?.isFile()) return undefined
    if (marker && marker.size === info.size && marker.mtimeMs === info.mtimeMs && marker.ino === info.ino) return root
    if ((await md5File(file)) !== hex) {
      // Changed since it was downloaded (a run wrote to it): drop it, so that it is downloaded again.
      await fs.rm(markerFile, {force: true})
      await fs.rm(root, {recursive: true, force: true})
      return undefined
    }
    await writeMarker(markerFile, candidates[0], info)
    return root
  }

  /** Downloads a build into the cache (hashing it on the way) and remembers its md5; returns its version. */
  async download(build: Build, ctx: DriverContext): Promise<Version> {
    await fs.mkdir(this.dir, {recursive: true})
    const tmp = await fs.mkdtemp(path.join(this.dir, '.download-'))
    try {
      const {hex, name} = await this.fetchInto(build, tmp, ctx)
      await fs.chmod(path.join(tmp, name), 0o444)
      await this.place(tmp, hex, name)
      await this.remember(build, hex)
      return makeVersion('md5', hex)
    } finally {
      await fs.rm(tmp, {recursive: true, force: true})
    }
  }

  private async remember(build: Build, hex: string): Promise<void> {
    this.index[build.key] = {md5: hex, build: build.build, ...(build.timestamp === undefined ? {} : {timestamp: build.timestamp})}
    this.index = await writeIndex(this.dir, this.index)
  }

  /** Moves a verified download into place as `<md5 hex>/`, unless the same bytes are there already. */
  private async place(tmp: string, hex: string, name: string): Promise<void> {
    if (await this.verifiedRoot(makeVersion('md5', hex))) return
    const root = path.join(this.dir, hex)
    // Leftovers that do not verify (an interrupted copy, files a run added) make way for the fresh download.
    await fs.rm(`${root}.ok`, {force: true})
    await fs.rm(root, {recursive: true, force: true})
    try {
      await fs.rename(tmp, root)
    } catch (error) {
      // Another process placed the same bytes just now: keep theirs.
      if (['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) return
      throw error
    }
    await writeMarker(`${root}.ok`, name, await fs.stat(path.join(root, name)))
  }

  /** Downloads a build into `dir` (undefined: nowhere) and returns its md5 and file name. */
  private async fetchInto(build: Build, dir: string | undefined, ctx: DriverContext): Promise<{hex: string; name: string}> {
    const what = `build ${build.build} of HockeyApp app \`${this.appId}\``
    const stall = new AbortController()
    let timer = setTimeout(() => stall.abort(), STALL_MS)
    const alive = () => {
      clearTimeout(timer)
      timer = setTimeout(() => stall.abort(), STALL_MS)
    }
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, stall.signal]) : stall.signal
    try {
      // The build URL is a direct download link from the listing: the token is not sent, so that it never
      // reaches a download host (or follows a redirect to one).
      const response = await httpRequest(build.url, `the download of ${what}`, {signal, timeoutMs: DOWNLOAD_TIMEOUT_MS})
      assertOk(response, `the download of ${what}`, {
        missing: `${what} can no longer be downloaded`,
        token: 'its download link may have expired; try again',
      })
      if (!response.body) throw new RemoteUnreachableError(`the download of ${what} returned no content`)
      const name = buildFileName(build, response.headers.get('content-disposition'))
      const total = Number(response.headers.get('content-length')) || build.size || 0
      const progress = progressReporter(what, 1, total, ctx.onProgress)
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
      const {md5} = await downloadHashed(body, dir === undefined ? undefined : path.join(dir, name), {
        onChunk: (chunk) => {
          alive()
          progress.bytes(chunk.length)
        },
      })
      progress.done()
      return {hex: md5, name}
    } catch (error) {
      if (ctx.signal?.aborted) throw error
      if (stall.signal.aborted) throw new RemoteUnreachableError(`the download of ${what} stalled: no data for ${STALL_MS / 1000} s`, {cause: error})
      if (error instanceof DktError) throw error
      throw new RemoteUnreachableError(`the download of ${what} failed: ${(error as Error)?.message ?? error}`, {cause: error})
    } finally {
      clearTimeout(timer)
    }
  }
}

async function writeMarker(file: string, name: string, info: {size: number; mtimeMs: number; ino: number}): Promise<void> {
  const marker: VerifiedMarker = {file: name, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino}
  await writeFileAtomic(file, JSON.stringify(marker))
}

async function readIndex(dir: string): Promise<Record<string, IndexEntry>> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, 'builds.json'), 'utf8')) as IndexFile
    return parsed.format === INDEX_FORMAT && parsed.builds && typeof parsed.builds === 'object' ? parsed.builds : {}
  } catch {
    return {}
  }
}

/** Merges with what another process may have written meanwhile (entries only ever get added) and saves. */
async function writeIndex(dir: string, ours: Record<string, IndexEntry>): Promise<Record<string, IndexEntry>> {
  const merged = {...(await readIndex(dir)), ...ours}
  const file: IndexFile = {format: INDEX_FORMAT, builds: merged}
  await writeFileAtomic(path.join(dir, 'builds.json'), `${JSON.stringify(file, null, 2)}\n`)
  return merged
}
