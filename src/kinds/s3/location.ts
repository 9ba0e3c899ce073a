// Where an s3 source points: LOCATION (`bucket` or `s3://bucket/prefix`) plus its sub-path, as a bucket and a key
// prefix; and which keys can be files on disk. Pure.
import {InvalidArgumentError} from '../../base/errors.js'

export interface S3Place {
  bucket: string
  /** Key prefix, empty or ending with `/`. */
  prefix: string
}

// S3's rules (3–63 lower-case letters, digits, dots, hyphens), plus the upper case and `_` of old us-east-1 buckets.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/

/** `a//b/` → `a/b/`; empty stays empty. */
function asPrefix(parts: string[]): string {
  const kept = parts.filter((part) => part !== '')
  return kept.length === 0 ? '' : `${kept.join('/')}/`
}

/** Splits a stored location; throws InvalidArgumentError for what cannot be a bucket. */
export function parseS3Location(location: string): S3Place {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(location)
  const bucket = match ? match[1] : location
  const rest = match?.[2] ?? ''
  if (!BUCKET.test(bucket)) {
    throw new InvalidArgumentError(`\`${bucket}\` is not an S3 bucket name; give \`BUCKET\` or \`s3://BUCKET/PREFIX\``, {location})
  }
  const parts = rest.split('/')
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new InvalidArgumentError(`the prefix of \`${location}\` may not contain \`.\` or \`..\``, {location})
  }
  return {bucket, prefix: asPrefix(parts)}
}

/** The location as stored: `bucket`, or `s3://bucket/prefix` without a trailing slash. */
export function normalizeS3Location(location: string): string {
  const {bucket, prefix} = parseS3Location(location)
  return prefix ? `s3://${bucket}/${prefix.slice(0, -1)}` : /^s3:\/\//i.test(location) ? `s3://${bucket}` : bucket
}

/** The bucket and key prefix of a source: the location's prefix, then its `/`-rooted sub-path. */
export function s3Place(location: string, subPath: string | undefined): S3Place {
  const place = parseS3Location(location)
  return {bucket: place.bucket, prefix: asPrefix([...place.prefix.split('/'), ...(subPath ?? '').split('/')])}
}

/** `s3://bucket/prefix/`, for messages and progress. */
export function s3Url(place: S3Place): string {
  return `s3://${place.bucket}/${place.prefix}`
}

/** How a relative key lands on disk: a file, a folder (a `…/` marker object), or nothing it can be. */
export type KeyPath = {kind: 'file'; path: string} | {kind: 'folder'; path: string} | {kind: 'unsafe'; reason: string}

export function keyPath(relKey: string): KeyPath {
  if (relKey === '') return {kind: 'folder', path: ''}
  const folder = relKey.endsWith('/')
  const parts = (folder ? relKey.slice(0, -1) : relKey).split('/')
  if (relKey.includes('\0')) return {kind: 'unsafe', reason: 'it contains a NUL character'}
  if (parts.some((part) => part === '')) return {kind: 'unsafe', reason: 'it has an empty path segment'}
  if (parts.some((part) => part === '.' || part === '..')) return {kind: 'unsafe', reason: 'it has a `.` or `..` segment'}
  return {kind: folder ? 'folder' : 'file', path: parts.join('/')}
}
