// The `s3` kind: a bucket (or a prefix of one) on AWS, MinIO or any S3 API; its version is the `md5:` digest of the
// listing under the prefix, read without downloading anything; runs get a verified local copy of a version.
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import type {Version} from '../../base/version.js'
import type {DriverContext, Fields, KindDriver, SourceSpec} from '../driver.js'
import {md5File} from '../file-digest.js'
import {connect, type S3Connection, s3Settings} from './client.js'
import {adoptCopy, type CopiedObject, copiedObjects, copyOf} from './copies.js'
import {type ListedObject, listingDigest} from './listing.js'
import {normalizeS3Location, type S3Place, s3Place, s3Url} from './location.js'
import {type LocalFile, planSync} from './plan.js'
import {deleteObjects, listObjects, uploadFiles} from './transfer.js'

/** What prepareOutput leaves next to the run's folder, for publish: the objects it started from. */
interface OutputBase {
  objects: Omit<CopiedObject, 'mtimeNs'>[]
  /** Each file as copied (size, inode, mtime): unchanged ones need not be read again. */
  files: Record<string, {size: string; ino: string; mtimeNs: string}>
}

const BASE_FILE = 'base.json'
const PUBLISHED_FILE = 'published.json'

function placeOf(source: SourceSpec): S3Place {
  return s3Place(source.location, source.path)
}

function fieldsOf(place: S3Place, root: string): Fields {
  return {ROOT: root, BUCKET: place.bucket, PREFIX: place.prefix}
}

/** `12345678` → `12.3 MB`. */
function humanBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** What `check` just listed, so that `describe` right after it needs no second listing. */
const recent = new Map<string, {objects: number; bytes: number}>()

const recentKey = (source: SourceSpec, version: Version) => `${source.location}\n${source.path ?? ''}\n${version}`
const summarize = (objects: readonly {size: number}[]) => ({objects: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0)})

function remember(source: SourceSpec, version: Version, objects: readonly ListedObject[]): void {
  if (recent.size > 64) recent.clear()
  recent.set(recentKey(source, version), summarize(objects))
}

/** What the local copy of a version (a run's output, a fetched input) holds, without a request. */
async function copySummary(source: SourceSpec, version: Version, ctx: DriverContext): Promise<{objects: number; bytes: number} | undefined> {
  const objects = await copiedObjects(ctx, s3Settings(ctx.settings).endpoint, placeOf(source), version)
  return objects && summarize(objects)
}

async function currentVersion(connection: S3Connection, place: S3Place): Promise<{version: Version; objects: ListedObject[]}> {
  const objects = await listObjects(connection, place)
  return {version: listingDigest(objects), objects}
}

/** Files (following symbolic links) and folders under `root`, as relative `/` paths. */
async function localTree(root: string): Promise<{files: Map<string, {abs: string; size: bigint; ino: bigint; mtimeNs: bigint}>; folders: Set<string>}> {
  const files = new Map<string, {abs: string; size: bigint; ino: bigint; mtimeNs: bigint}>()
  const folders = new Set<string>()
  const walk = async (dir: string, rel: string) => {
    for (const dirent of await fs.readdir(dir, {withFileTypes: true})) {
      const abs = path.join(dir, dirent.name)
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name
      const stat = await fs.stat(abs, {bigint: true}).catch(() => undefined) // a dangling link is no data
      if (!stat) continue
      if (stat.isDirectory()) {
        folders.add(relPath)
        await walk(abs, relPath)
      } else if (stat.isFile()) files.set(relPath, {abs, size: stat.size, ino: stat.ino, mtimeNs: stat.mtimeNs})
    }
  }
  await walk(root, '')
  return {files, folders}
}

async function connectTo(source: SourceSpec, ctx: DriverContext): Promise<{connection: S3Connection; place: S3Place}> {
  const place = placeOf(source)
  return {place, connection: await connect(ctx)}
}

export const driver: KindDriver = {
  kind: 's3',
  fields: ['ROOT', 'BUCKET', 'PREFIX'],
  logColumns: ['OBJECTS', 'SIZE'],
  history: 'observed',

  async resolve(input, ctx) {
    if (input.tag !== undefined) throw new InvalidArgumentError('s3 sources have no tags')
    if (input.location === undefined) throw new InvalidArgumentError('an s3 source needs a LOCATION: a bucket name or s3://BUCKET/PREFIX')
    s3Settings(ctx.settings) // a bad `s3.*` setting is reported before anything else
    return {kind: 's3', location: normalizeS3Location(input.location)}
  },

  async check(source, _from, ctx) {
    // Only the bucket's current content is still valid: S3 keeps no history dkt could list.
    const {connection, place} = await connectTo(source, ctx)
    try {
      const {version, objects} = await currentVersion(connection, place)
      remember(source, version, objects)
      return [version]
    } finally {
      connection.client.destroy()
    }
  },

  async describe(source, version, ctx): Promise<Record<string, string>> {
    const seen = recent.get(recentKey(source, version)) ?? (await copySummary(source, version, ctx))
    return seen ? {OBJECTS: String(seen.objects), SIZE: humanBytes(seen.bytes)} : {}
  },

  async fetch(source, version, _dir, ctx) {
    const {connection, place} = await connectTo(source, ctx)
    try {
      // An intact cached copy needs no request at all; otherwise the bucket must still hold this version.
      const copy = await copyOf(connection, ctx, place, version, async () => {
        const current = await currentVersion(connection, place)
        if (current.version !== version) {
          throw new NotFoundError(
            `version ${version} of s3 source \`${source.name}\` is no longer the content of ${s3Url(place)} (now ${current.version}), and no copy of it is cached`,
            {source: source.name, version},
          )
        }
        return current.objects
      })
      return fieldsOf(place, copy.root)
    } finally {
      connection.client.destroy()
    }
  },

  async prepareOutput(source, dir, ctx) {
    const {connection, place} = await connectTo(source, ctx)
    try {
      const current = await currentVersion(connection, place)
      const copy = await copyOf(connection, ctx, place, current.version, current.objects)
      const root = path.join(dir, 'root')
      await fs.mkdir(dir, {recursive: true})
      await fs.cp(copy.root, root, {recursive: true, mode: fs.constants.COPYFILE_FICLONE})
      const {files} = await localTree(root)
      const base: OutputBase = {
        objects: copy.objects.map(({key, size, etag, md5}) => ({key, size, etag, md5})),
        files: Object.fromEntries([...files].map(([rel, f]) => [rel, {size: String(f.size), ino: String(f.ino), mtimeNs: String(f.mtimeNs)}])),
      }
      await fs.writeFile(path.join(dir, BASE_FILE), JSON.stringify(base))
      return fieldsOf(place, root)
    } finally {
      connection.client.destroy()
    }
  },

  async publish(source, dir, ctx) {
    const {connection, place} = await connectTo(source, ctx)
    try {
      // Published already (the folder became the cached copy): nothing new, so the current version.
      if (await fs.stat(path.join(dir, PUBLISHED_FILE)).catch(() => undefined)) return (await currentVersion(connection, place)).version
      const base = JSON.parse(await fs.readFile(path.join(dir, BASE_FILE), 'utf8')) as OutputBase
      const root = path.join(dir, 'root')
      const known = new Map(base.objects.filter((o) => o.md5).map((o) => [o.key, o]))
      const tree = await localTree(root)
      const local = new Map<string, LocalFile & {abs: string}>()
      for (const [rel, file] of tree.files) {
        const copied = base.files[rel]
        const untouched = copied && copied.size === String(file.size) && copied.ino === String(file.ino) && copied.mtimeNs === String(file.mtimeNs)
        const md5 = untouched && known.get(rel) ? (known.get(rel) as CopiedObject).md5 : await md5File(file.abs, Number(file.size))
        local.set(rel, {size: Number(file.size), md5, abs: file.abs})
      }
      const remote = await listObjects(connection, place)
      const plan = planSync({local, localFolders: tree.folders, remote, known})
      const uploads = plan.uploads.map((key) => {
        const file = local.get(key) as LocalFile & {abs: string}
        return {key, file: file.abs, size: file.size, md5: file.md5}
      })
      const etags = await uploadFiles(connection, place, uploads, ctx.onProgress)
      await deleteObjects(connection, place, plan.deletes)
      const after = await currentVersion(connection, place)

      // The folder is exactly the new version when the listing is what this publish made: keep it as its copy.
      const remoteByKey = new Map(remote.map((o) => [o.key, o]))
      const deleted = new Set(plan.deletes)
      const made: Omit<CopiedObject, 'mtimeNs'>[] = remote.filter((o) => !local.has(o.key) && !deleted.has(o.key)).map((o) => ({...o, md5: ''}))
      for (const [key, file] of local) made.push({key, size: file.size, etag: etags.get(key) ?? (remoteByKey.get(key) as ListedObject).etag, md5: file.md5})
      if (listingDigest(made) === after.version) {
        await adoptCopy(connection, ctx, place, after.version, root, made)
        await fs.writeFile(path.join(dir, PUBLISHED_FILE), JSON.stringify({version: after.version}))
      }
      return after.version
    } finally {
      connection.client.destroy()
    }
  },
}
