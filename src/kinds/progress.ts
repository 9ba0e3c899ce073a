// Progress of the long transfers of remote kinds (s3 objects, hockeyapp builds), and the one way a download is
// written to disk: streamed through md5, its bytes counted for progress on the way.
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {type Readable, Transform, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import type {TransferProgress} from './driver.js'

const PROGRESS_EVERY_MS = 200

interface ProgressReporter {
  /** `n` more bytes moved. */
  bytes(n: number): void
  /** One more file done. */
  file(): void
  /** The transfer is complete: reported at once. */
  done(): void
}

/**
 * Progress of one transfer of `files` files and `bytes` bytes (0: unknown), reported at most every 200 ms and
 * once at the end.
 */
export function progressReporter(what: string, files: number, bytes: number, onProgress?: (progress: TransferProgress) => void): ProgressReporter {
  const state: TransferProgress = {what, doneBytes: 0, totalBytes: bytes, doneFiles: 0, totalFiles: files}
  let last = Date.now()
  const report = (progress: TransferProgress) => onProgress?.({...progress, totalBytes: Math.max(progress.totalBytes, progress.doneBytes)})
  return {
    bytes(n) {
      state.doneBytes += n
      if (onProgress && Date.now() - last >= PROGRESS_EVERY_MS) {
        last = Date.now()
        report(state)
      }
    },
    file() {
      state.doneFiles++
    },
    done() {
      report({...state, doneBytes: Math.max(state.doneBytes, state.totalBytes), doneFiles: state.totalFiles})
    },
  }
}

/**
 * A pass-through stream that tells `onChunk` about every chunk as its reader takes it. Unlike a `'data'` listener,
 * it does not start the source flowing before the reader (an HTTP request waiting for `100 Continue`) is ready,
 * so no chunk is lost.
 */
export function chunkTap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk)
      callback(null, chunk)
    },
  })
}

/**
 * Streams a download into `file` (undefined: nowhere, to learn its md5 only), hashing it on the way; `onChunk` sees
 * every chunk (progress, stall detection). Returns the md5 (hex) and the number of bytes.
 */
export async function downloadHashed(
  body: Readable,
  file: string | undefined,
  options: {onChunk?: (chunk: Buffer) => void; signal?: AbortSignal} = {},
): Promise<{md5: string; bytes: number}> {
  const hash = createHash('md5')
  let bytes = 0
  const tap = chunkTap((chunk) => {
    hash.update(chunk)
    bytes += chunk.length
    options.onChunk?.(chunk)
  })
  const sink = file === undefined ? new Writable({write: (_chunk, _encoding, callback) => callback()}) : createWriteStream(file)
  await pipeline(body, tap, sink, {signal: options.signal})
  return {md5: hash.digest('hex'), bytes}
}
