// A running command's output as it comes (`.dkt/cache/live/RUN.log`, never committed), for readers in other
// processes (the web view tails it): whole lines only, each redacted, so a secret split across two chunks of output
// is still caught; the file goes when the run has been recorded, and its saved log is the record.
import {appendFileSync, openSync, readSync, closeSync} from 'node:fs'
import * as path from 'node:path'

import {creatingFolder, unlinkIfPresent} from '../../base/atomic-write.js'
import {InvalidArgumentError} from '../../base/errors.js'
import {redact} from '../../base/redact.js'
import type {OutputListener} from '../../exec/outcome.js'
import type {Project} from '../project.js'

/** A line longer than this is written in pieces (a command that never prints a newline still shows up). */
const MAX_HELD_BYTES = 64 * 1024

export function liveLogFile(project: Project, run: string): string {
  // A run ID is what names the file: never a path from elsewhere.
  if (!/^[0-9a-f]{64}$/.test(run)) throw new InvalidArgumentError(`\`${run}\` is not a run ID`)
  return path.join(project.cacheDir, 'live', `${run}.log`)
}

export interface LiveLog {
  /** A listener that writes each chunk here and passes it on to `next`. */
  tee(next?: OutputListener): OutputListener
  /** Removes the file (once the run is recorded: readers then turn to its saved log). */
  close(): void
}

export function openLiveLog(project: Project, run: string, secretValues: string[]): LiveLog {
  const file = liveLogFile(project, run)
  creatingFolder(file, () => appendFileSync(file, ''))
  let held = Buffer.alloc(0)
  const write = (bytes: Buffer) => {
    if (bytes.length > 0) appendFileSync(file, redact(bytes.toString('utf8'), secretValues))
  }
  return {
    tee: (next) => (stream, chunk) => {
      // Synchronous: small appends in arrival order, and a reader never sees a line half-written.
      held = Buffer.concat([held, chunk])
      const end = held.lastIndexOf(0x0a) + 1
      const cut = end > 0 ? end : held.length > MAX_HELD_BYTES ? held.length : 0
      try {
        write(held.subarray(0, cut))
      } catch {
        // The live view is a convenience: a full disk must not fail the run (its saved log still records it).
      }
      held = held.subarray(cut)
      next?.(stream, chunk)
    },
    close: () => {
      unlinkIfPresent(file)
    },
  }
}

/** What a running command has written since byte `from` (whole lines only), or undefined once it has no live log. */
export function readLiveLog(project: Project, run: string, from = 0): {text: string; next: number} | undefined {
  let fd: number
  try {
    fd = openSync(liveLogFile(project, run), 'r')
  } catch {
    return undefined
  }
  try {
    const chunks: Buffer[] = []
    const buffer = Buffer.alloc(64 * 1024)
    let position = from
    for (let read = readSync(fd, buffer, 0, buffer.length, position); read > 0; read = readSync(fd, buffer, 0, buffer.length, position)) {
      chunks.push(Buffer.from(buffer.subarray(0, read)))
      position += read
    }
    const bytes = Buffer.concat(chunks)
    const lines = bytes.lastIndexOf(0x0a) + 1
    const end = lines === 0 && bytes.length >= MAX_HELD_BYTES ? bytes.length : lines
    return {text: bytes.subarray(0, end).toString('utf8'), next: from + end}
  } finally {
    closeSync(fd)
  }
}
