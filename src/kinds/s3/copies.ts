// Local copies of s3 versions in `.dkt/cache/s3/`: one folder per version, with a manifest of what was downloaded
// (ETag, size, md5) and of the files as written, so a later run reuses a copy only while it is intact.
import {createHash, randomBytes} from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {type Version, versionHex} from '../../base/version.js'
import type {DriverContext} from '../driver.js'
import type {S3Connection} from './client.js'
import type {ListedObject} from './listing.js'
import type {S3Place} from './location.js'
import {downloadObjects} from './transfer.js'

const MANIFEST_FORMAT = 1

export interface CopiedObject extends ListedObject {
  /** md5 of the content, computed by dkt (empty for folder markers). */
  md5: string
  /** The file's size and mtime as written, to tell an intact copy from one a run changed. */
  mtimeNs?: string
}

interface Manifest {
  format: number
  version: Version
  objects: CopiedObject[]
}

export interface Copy {
  root: string
  objects: CopiedObject[]
}

/** `.dkt/cache/s3/<hash of endpoint, bucket, prefix>/`: copies of different places never mix. */
export function placeDir(ctx: DriverContext, endpoint: string | undefined, place: S3Place): string {
  const id = createHash('sha1').update(`${endpoint ?? 'aws'}\n${place.bucket}\n${place.prefix}`).digest('hex').slice(0, 16)
  return path.join(ctx.cacheDir, id)
}

async function walkFiles(root: string): Promise<Map<string, {size: bigint; mtimeNs: bigint}>> {
  const found = new Map<string, {size: bigint; mtimeNs: bigint}>()
  const walk = async (dir: string, rel: string) => {
    for (const dirent of await fs.readdir(dir, {withFileTypes: true})) {
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name
      if (dirent.isDirectory()) await walk(path.join(dir, dirent.name), relPath)
      else {
        const stat = await fs.lstat(path.join(dir, dirent.name), {bigint: true})
        found.set(relPath, {size: stat.isFile() ? stat.size : -1n, mtimeNs: stat.mtimeNs})
      }
    }
  }
  await walk(root, '')
  return found
}

/** What the local copy of `version` was made of, as its manifest says (its files may have changed since). */
export async function copiedObjects(ctx: DriverContext, endpoint: string | undefined, place: S3Place, version: Version): Promise<CopiedObject[] | undefined> {
  const manifest = await readManifest(path.join(placeDir(ctx, endpoint, place), versionHex(version)))
  return manifest?.format === MANIFEST_FORMAT && manifest.version === version ? manifest.objects : undefined
}

async function readManifest(dir: string): Promise<Manifest | null> {
  return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => 'null')) as Manifest | null
}

/** The copy of `version` in `dir`, if its files are exactly those downloaded (same names, sizes and mtimes). */
async function verifiedCopy(dir: string, version: Version): Promise<Copy | undefined> {
  const manifest = await readManifest(dir)
  if (manifest?.format !== MANIFEST_FORMAT || manifest.version !== version) return undefined
  const root = path.join(dir, 'root')
  const files = await walkFiles(root).catch(() => undefined)
  if (!files) return undefined
  const expected = manifest.objects.filter((o) => o.mtimeNs !== undefined)
  if (files.size !== expected.length) return undefined
  for (const object of expected) {
    const file = files.get(object.key)
    if (!file || file.size !== BigInt(object.size) || String(file.mtimeNs) !== object.mtimeNs) return undefined
  }
  return {root, objects: manifest.objects}
}

/** Records the files now in `root` as the copy of `version`, and moves it into place (another copy may win). */
async function keepCopy(dir: string, root: string, version: Version, objects: Omit<CopiedObject, 'mtimeNs'>[]): Promise<Copy | undefined> {
  const files = await walkFiles(root)
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version,
    objects: objects.map((object) => {
      const file = files.get(object.key)
      return file ? {...object, mtimeNs: String(file.mtimeNs)} : object
    }),
  }
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  await fs.mkdir(staging, {recursive: true})
  await fs.rename(root, path.join(staging, 'root'))
  await fs.writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest)}\n`)
  try {
    await fs.rename(staging, dir)
    // Ours is in place, and its files are the ones just walked: no need to walk them again.
    return {root: path.join(dir, 'root'), objects: manifest.objects}
  } catch {
    // A copy is there already: another process's intact one (a run may be reading it) stays; a damaged one goes.
    if (!(await verifiedCopy(dir, version))) {
      await fs.rm(dir, {recursive: true, force: true})
      await fs.rename(staging, dir).catch(() => {})
    }
  }
  await fs.rm(staging, {recursive: true, force: true})
  return verifiedCopy(dir, version)
}

/**
 * A verified local copy of `version` of the place, given its current `listing` (whose digest is `version`):
 * reused when intact, downloaded otherwise.
 */
export async function copyOf(
  connection: S3Connection,
  ctx: DriverContext,
  place: S3Place,
  version: Version,
  listing: readonly ListedObject[] | (() => Promise<readonly ListedObject[]>),
): Promise<Copy> {
  const dir = path.join(placeDir(ctx, connection.settings.endpoint, place), versionHex(version))
  const cached = await verifiedCopy(dir, version)
  if (cached) return cached
  const objects = typeof listing === 'function' ? await listing() : listing
  const download = `${dir}.dl-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const md5s = await downloadObjects(connection, place, objects, download, ctx.onProgress)
    const kept = await keepCopy(dir, download, version, objects.map((o) => ({...o, md5: md5s.get(o.key) ?? ''})))
    if (kept) return kept
    // A concurrent writer's copy was not intact either: the caller may retry; say what is wrong.
    throw new Error(`the local copy of ${version} in ${dir} was changed while it was being written`)
  } finally {
    await fs.rm(download, {recursive: true, force: true})
  }
}

/** Keeps a folder a run just published (and whose objects are known) as the copy of the version it made. */
export async function adoptCopy(
  connection: S3Connection,
  ctx: DriverContext,
  place: S3Place,
  version: Version,
  root: string,
  objects: Omit<CopiedObject, 'mtimeNs'>[],
): Promise<void> {
  const dir = path.join(placeDir(ctx, connection.settings.endpoint, place), versionHex(version))
  if (await verifiedCopy(dir, version)) return
  await fs.mkdir(path.dirname(dir), {recursive: true})
  await keepCopy(dir, root, version, objects)
}
