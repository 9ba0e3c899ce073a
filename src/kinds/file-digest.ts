// The md5 of a file's content (path trees, s3 copies and downloaded builds all hash files this way).
import {createHash} from 'node:crypto'
import {createReadStream, readFileSync} from 'node:fs'
import {pipeline} from 'node:stream/promises'

// Files this small are read in one synchronous call: a stream costs several thread-pool round trips (open, read,
// close), far more than reading a few kilobytes, and a scheduler hashes the small outputs of every run.
const SMALL_FILE = 64 * 1024

/** Hex md5 of the file's bytes; a large file is streamed so that it never sits in memory. `size`: if known. */
export async function md5File(file: string, size?: number): Promise<string> {
  if (size !== undefined && size <= SMALL_FILE) return createHash('md5').update(readFileSync(file)).digest('hex')
  const hash = createHash('md5')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}
