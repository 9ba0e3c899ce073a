// Files written whole or not at all: the content goes to a unique temporary name beside the target, which then
// replaces the target in one step, so that no reader (and no crash, kill -9 included) ever sees half a file.
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

// `write-file-atomic` does the same, but installs exit and signal handlers around every write; this is all dkt needs.

const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]+$/

export interface AtomicWriteOptions {
  /** Flush the content to disk before it takes the target's place (what must survive a power cut). */
  fsync?: boolean
  /** Place it only if the target does not exist yet (a hard link), else fail with EEXIST. */
  exclusive?: boolean
}

/** Writes `content` to `file` (creating its folder), whole or not at all. */
export async function writeFileAtomic(file: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await fs.mkdir(path.dirname(file), {recursive: true})
  // Unique per call: one process may write the same file twice at once (two runs hashing one folder).
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  let placed = false
  try {
    const handle = await fs.open(tmp, 'w')
    try {
      await handle.writeFile(content)
      if (options.fsync) await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.exclusive) await fs.link(tmp, file)
    else await fs.rename(tmp, file)
    placed = !options.exclusive
  } finally {
    if (!placed) await fs.rm(tmp, {force: true})
  }
}

/** The process that was writing a temporary file left beside its target (by its name), if it is one. */
export function atomicWriterPid(fileName: string): number | undefined {
  const match = TEMP_NAME.exec(fileName)
  return match ? Number(match[1]) : undefined
}
