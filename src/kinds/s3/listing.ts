// The `md5:` version of an s3 source: a digest of the listing under its prefix (relative key, size, ETag). Pure.
import {createHash} from 'node:crypto'

import {makeVersion, type Version} from '../../core/version.js'

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
 * md5 over `ETAG SIZE KEY\n` lines in byte order of KEY. An empty listing is md5 of nothing,
 * `md5:d41d8cd98f00b204e9800998ecf8427e`, as an empty path source is.
 */
export function listingDigest(objects: readonly ListedObject[]): Version {
  const sorted = [...objects].sort((a, b) => compareKeys(a.key, b.key))
  const hash = createHash('md5')
  for (const object of sorted) hash.update(`${object.etag} ${object.size} ${object.key}\n`)
  return makeVersion('md5', hash.digest('hex'))
}
