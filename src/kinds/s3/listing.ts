// The `md5:` version of an s3 source: a digest of the listing under its prefix (relative key, size, ETag). Pure.
import {createHash} from 'node:crypto'

import {makeVersion, type Version} from '../../base/version.js'

/** One object of a listing, as ListObjectsV2 gives it. */
export interface ListedObject {
  /** The key relative to the source's prefix. */
  key: string
  size: number
  /** The ETag without its quotes; compared for equality only, never taken for a content md5. */
  etag: string
}

/** `"abc"` → `abc`: S3 quotes ETags in headers and listings alike. */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^(W\/)?"(.*)"$/, '$2')
}

/** Byte order of UTF-8 keys: the order S3 lists in, and the same on every machine. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/**
 * Objects in byte order of their UTF-8 keys. Without surrogate pairs, JavaScript's string order (UTF-16 code units)
 * is that same order and ten times faster than comparing encoded bytes.
 */
function sortedByKey(objects: readonly ListedObject[]): ListedObject[] {
  if (objects.some((object) => /[\uD800-\uDFFF]/.test(object.key))) {
    return objects
      .map((object) => ({object, bytes: Buffer.from(object.key)}))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .map(({object}) => object)
  }
  return [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/**
 * md5 over `ETAG SIZE KEY\n` lines in byte order of KEY. An empty listing is md5 of nothing,
 * `md5:d41d8cd98f00b204e9800998ecf8427e`, as an empty path source is.
 */
export function listingDigest(objects: readonly ListedObject[]): Version {
  const text = sortedByKey(objects)
    .map((object) => `${object.etag} ${object.size} ${object.key}\n`)
    .join('')
  return makeVersion('md5', createHash('md5').update(text).digest('hex'))
}
