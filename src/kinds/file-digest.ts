// The md5 of a file's content, streamed (path trees, s3 copies and downloaded builds all hash files this way).
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'

/** Hex md5 of the file's bytes, read as a stream so a large build never sits in memory. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}
