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

/** Whether a stamp (statStamp, not `absent`) says its file changed less than `ms` ago. */
export function changedWithin(stamp: string, ms: number): boolean {
  return Date.now() - Number(stamp.slice(stamp.lastIndexOf(':') + 1)) < ms
}
