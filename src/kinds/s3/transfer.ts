// Listing, downloading and uploading objects under a prefix: paginated, a few at a time, verified, with progress.
import {createReadStream} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {pipeline, type Readable} from 'node:stream'

import pMap from 'p-map'

import {InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import type {TransferProgress} from '../driver.js'
import {chunkTap, downloadHashed, progressReporter} from '../progress.js'
import {type S3Connection, s3Failure} from './client.js'
import {type ListedObject, normalizeEtag} from './listing.js'
import {keyPath, type S3Place, s3Url} from './location.js'

/** Parallel requests of one transfer: enough to hide latency, few enough for a small server. */
const PARALLEL = 8
/** The largest single PUT S3 accepts. */
const MAX_PUT_BYTES = 5 * 1024 ** 3

/** Every object under the prefix, keys relative to it, read page by page (1,000 keys each) without downloading anything. */
export async function listObjects(connection: S3Connection, place: S3Place): Promise<ListedObject[]> {
  const {ListObjectsV2Command} = await import('@aws-sdk/client-s3')
  const objects: ListedObject[] = []
  let token: string | undefined
  do {
    let page
    try {
      page = await connection.client.send(
        new ListObjectsV2Command({Bucket: place.bucket, Prefix: place.prefix || undefined, ContinuationToken: token}),
        {abortSignal: connection.signal},
      )
    } catch (error) {
      throw s3Failure(error, place, connection)
    }
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined || !item.Key.startsWith(place.prefix)) continue
      objects.push({key: item.Key.slice(place.prefix.length), size: item.Size ?? 0, etag: normalizeEtag(item.ETag)})
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return objects
}

/** Files and folders an object list becomes on disk; refuses keys that cannot be paths, and file/folder clashes. */
export function diskLayout(objects: readonly ListedObject[], place: S3Place): {files: ListedObject[]; folders: string[]} {
  const files: ListedObject[] = []
  const folders = new Set<string>()
  for (const object of objects) {
    const target = keyPath(object.key)
    if (target.kind === 'unsafe') {
      throw new InvalidArgumentError(`object \`${place.prefix}${object.key}\` in bucket \`${place.bucket}\` cannot be a file name (${target.reason}); dkt cannot copy ${s3Url(place)}`)
    }
    if (target.kind === 'folder') {
      if (target.path) folders.add(target.path)
    } else files.push(object)
  }
  const filePaths = new Set(files.map((f) => f.key))
  for (const file of files) {
    for (let i = file.key.indexOf('/'); i >= 0; i = file.key.indexOf('/', i + 1)) {
      if (filePaths.has(file.key.slice(0, i))) {
        throw new InvalidArgumentError(`objects \`${place.prefix}${file.key.slice(0, i)}\` and \`${place.prefix}${file.key}\` in bucket \`${place.bucket}\` cannot both be files; dkt cannot copy ${s3Url(place)}`)
      }
    }
  }
  return {files, folders: [...folders]}
}

/**
 * Downloads the listed objects into `root` and returns the md5 of each file. Every object must still have the
 * listed ETag and size: otherwise the listing's version is gone, and this says so.
 */
export async function downloadObjects(
  connection: S3Connection,
  place: S3Place,
  objects: readonly ListedObject[],
  root: string,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Map<string, string>> {
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  const {files, folders} = diskLayout(objects, place)
  await fs.mkdir(root, {recursive: true})
  for (const folder of folders) await fs.mkdir(path.join(root, folder), {recursive: true})
  const progress = progressReporter(s3Url(place), files.length, files.reduce((sum, f) => sum + f.size, 0), onProgress)
  const md5s = new Map<string, string>()
  const changed = (object: ListedObject) =>
    new NotFoundError(`object \`${place.prefix}${object.key}\` changed while ${s3Url(place)} was being fetched, so that version is gone; run again`)
  const download = async (object: ListedObject) => {
    let response
    try {
      response = await connection.client.send(new GetObjectCommand({Bucket: place.bucket, Key: place.prefix + object.key}), {abortSignal: connection.signal})
    } catch (error) {
      if ((error as {name?: string}).name === 'NoSuchKey') throw changed(object)
      throw s3Failure(error, place, connection)
    }
    if ((response.ETag !== undefined && normalizeEtag(response.ETag) !== object.etag) || (response.ContentLength !== undefined && response.ContentLength !== object.size)) {
      ;(response.Body as {destroy?: () => void} | undefined)?.destroy?.()
      throw changed(object)
    }
    const file = path.join(root, object.key)
    await fs.mkdir(path.dirname(file), {recursive: true})
    let written
    try {
      written = await downloadHashed(response.Body as Readable, file, {onChunk: (chunk) => progress.bytes(chunk.length), signal: connection.signal})
    } catch (error) {
      throw s3Failure(error, place, connection)
    }
    if (written.bytes !== object.size) throw changed(object)
    md5s.set(object.key, written.md5)
    progress.file()
  }
  await pMap(files, download, {concurrency: PARALLEL})
  progress.done()
  return md5s
}

/** Uploads files (relative key → local file, size, md5) and returns each new ETag. */
export async function uploadFiles(
  connection: S3Connection,
  place: S3Place,
  files: readonly {key: string; file: string; size: number; md5: string}[],
  onProgress?: (progress: TransferProgress) => void,
): Promise<Map<string, string>> {
  const {PutObjectCommand} = await import('@aws-sdk/client-s3')
  const tooBig = files.find((f) => f.size > MAX_PUT_BYTES)
  if (tooBig) throw new InvalidArgumentError(`\`${tooBig.key}\` is larger than 5 GiB, which dkt cannot upload to S3 yet`)
  const progress = progressReporter(s3Url(place), files.length, files.reduce((sum, f) => sum + f.size, 0), onProgress)
  const etags = new Map<string, string>()
  const send = async (upload: (typeof files)[number]) => {
    const body = uploadBody(upload.file, (n) => progress.bytes(n))
    try {
      const result = await connection.client.send(
        new PutObjectCommand({
          Bucket: place.bucket,
          Key: place.prefix + upload.key,
          Body: body,
          ContentLength: upload.size,
          // S3 checks the body against it; the metadata keeps the content digest next to the object for later readers.
          ContentMD5: Buffer.from(upload.md5, 'hex').toString('base64'),
          Metadata: {'dkt-md5': upload.md5},
        }),
        {abortSignal: connection.signal},
      )
      etags.set(upload.key, normalizeEtag(result.ETag))
    } catch (error) {
      throw s3Failure(error, place, connection)
    } finally {
      body.destroy()
    }
    progress.file()
  }
  await pMap(files, send, {concurrency: PARALLEL})
  progress.done()
  return etags
}

/**
 * A file as a request body, its bytes counted as the request reads them. The SDK waits for `100 Continue` before it
 * reads a large body: a stream that was already flowing would have lost its first chunks by then, and the server
 * would wait for them for ever.
 */
function uploadBody(file: string, onBytes: (n: number) => void): Readable {
  const tap = chunkTap((chunk) => onBytes(chunk.length))
  // A read error ends the request with it; the request's own end (sent, failed, aborted) destroys both streams.
  pipeline(createReadStream(file), tap, () => {})
  return tap
}

/** Deletes objects (relative keys), 1,000 per request. */
export async function deleteObjects(connection: S3Connection, place: S3Place, keys: readonly string[]): Promise<void> {
  const {DeleteObjectsCommand} = await import('@aws-sdk/client-s3')
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000)
    let result
    try {
      result = await connection.client.send(
        new DeleteObjectsCommand({Bucket: place.bucket, Delete: {Objects: batch.map((key) => ({Key: place.prefix + key})), Quiet: true}}),
        {abortSignal: connection.signal},
      )
    } catch (error) {
      throw s3Failure(error, place, connection)
    }
    const failed = result.Errors?.[0]
    if (failed) throw s3Failure(Object.assign(new Error(failed.Message ?? 'delete failed'), {name: failed.Code ?? 'DeleteFailed', $metadata: {httpStatusCode: 500}}), place, connection)
  }
}
