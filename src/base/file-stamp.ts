// A file's or folder's stamp: what identifies its content without reading it, as git's index does.
import {statSync} from 'node:fs'

/**
 * Inode, size and change time (set by the kernel on every write, rename or attribute change, and never by hand, unlike
 * the modification time); `absent` for a missing file or folder.
 */
export function statStamp(file: string): string {
  const stats = statSync(file, {throwIfNoEntry: false})
  return stats ? `${stats.ino}:${stats.size}:${stats.ctimeMs}` : 'absent'
}

/**
 * How long after a change a file's stamp is not trusted to tell a later change from it: a file changed this recently
 * may change again within the same tick of the file system's clock without changing its stamp (git's "racy" entries).
 */
export const RACY_MS = 2000

/** Whether a stamp (statStamp) was taken of a file last changed before `settledBefore` (or of none). */
export function stampSettled(stamp: string, settledBefore: number): boolean {
  return stamp === 'absent' || Number(stamp.slice(stamp.lastIndexOf(':') + 1)) < settledBefore
}
