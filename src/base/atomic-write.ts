// Files written whole or not at all: the content goes to a unique temporary name beside the target, which then
// replaces the target in one step, so that no reader (and no crash, kill -9 included) ever sees half a file.
import {mkdirSync, unlinkSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

// `write-file-atomic` does the same, but installs exit and signal handlers around every write; this is all dkt needs.

const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]+$/

export interface AtomicWriteOptions {
  /** Flush the content to disk before it takes the target's place (what must survive a power cut). */
  fsync?: boolean
  /** Also flush the folder (and any folder this call creates) once the file is in place: the rename itself is durable. */
  syncFolder?: boolean
  /** Place it only if the target does not exist yet (a hard link), else fail with EEXIST. */
  exclusive?: boolean
}

/**
 * Writes `content` to `file` (creating its folder), whole or not at all. Returns the topmost folder it created, as
 * `mkdir -p` reports it (undefined: the folder was there), for foldersToSync.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<string | undefined> {
  // Unique per call: one process may write the same file twice at once (two runs hashing one folder). Not from
  // node:crypto, whose loading costs a command like `dkt status` ~12 ms; created exclusively, so a file (or link)
  // found under the name is never written through.
  const tmp = `${file}.tmp-${process.pid}-${randomHex()}`
  const {handle, created} = await openCreating(tmp, 'wx')
  let placed = false
  try {
    try {
      await handle.writeFile(content)
      if (options.fsync || options.syncFolder) await handle.datasync()
    } finally {
      await handle.close()
    }
    if (options.exclusive) await fs.link(tmp, file)
    else await fs.rename(tmp, file)
    placed = !options.exclusive
  } finally {
    if (!placed) await fs.rm(tmp, {force: true})
  }
  if (options.syncFolder) await Promise.all(foldersToSync(file, created).map(syncFolder))
  return created
}

/**
 * Opens a file for writing (`flags`: `w`, `wx` or `a`), creating its folder only when it is missing: the folder is there
 * almost always, and a `mkdir -p` first costs a failed mkdir and a stat per write. `created`: as writeFileAtomic's.
 */
export async function openCreating(file: string, flags = 'w'): Promise<{handle: fs.FileHandle; created: string | undefined}> {
  try {
    return {handle: await fs.open(file, flags), created: undefined}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const created = await fs.mkdir(path.dirname(file), {recursive: true})
  return {handle: await fs.open(file, flags), created}
}

/**
 * Runs `write`, which creates `file` synchronously; if its folder is missing, makes it and runs `write` again. The folder
 * is there but for the first file: made then, not stat'ed at every write (as openCreating does, synchronously).
 */
export function creatingFolder<T>(file: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  mkdirSync(path.dirname(file), {recursive: true})
  return write()
}

/** 8 hex digits. */
function randomHex(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0')
}

/**
 * The folders whose entries must reach the disk for `file` to be found after a power cut: its own, and the parent
 * of each folder created for it (`created`: the topmost one, as `mkdir -p` reports it).
 */
export function foldersToSync(file: string, created: string | undefined): string[] {
  const folders = [path.dirname(file)]
  if (created === undefined) return folders
  for (let folder = path.dirname(file); ; folder = path.dirname(folder)) {
    folders.push(path.dirname(folder))
    if (folder === created || folder === path.dirname(folder)) return folders
  }
}

/** Flushes a folder's entries (a file renamed or created in it) to disk. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** The process that was writing a temporary file left beside its target (by its name), if it is one. */
export function atomicWriterPid(fileName: string): number | undefined {
  const match = TEMP_NAME.exec(fileName)
  return match ? Number(match[1]) : undefined
}

/**
 * Removes a file if it is there (`rm -f` of one file): one unlink, where fs.rmSync with `force` stats it twice first.
 * Synchronous, for the small per-run files (claims, live logs, cancel requests) removed in the scheduler's thread.
 */
export function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
