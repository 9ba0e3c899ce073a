// What publishing a folder to an s3 prefix must do, as `aws s3 sync --delete` would: upload the files whose content
// the bucket may not hold, delete the objects that are gone locally. Pure.
import {compareKeys, type ListedObject} from './listing.js'
import {keyPath} from './location.js'

export interface LocalFile {
  size: number
  md5: string
}

/** What dkt knows an object held when it downloaded or uploaded it: its ETag then, and the md5 it computed. */
export interface KnownObject {
  size: number
  etag: string
  md5: string
}

export interface SyncPlan {
  /** Relative keys to upload, in key order. */
  uploads: string[]
  /** Relative keys to delete, in key order. */
  deletes: string[]
  /** Files the bucket already holds. */
  unchanged: number
}

/**
 * A local file is skipped only when the object at its key still has the ETag and size dkt saw when it learnt the
 * object's md5 (`known`), and that md5 and size are the file's: an ETag alone is never taken for a content md5
 * (multipart and encrypted objects have other ETags, and servers differ). Folder markers (`dir/`) stay while the
 * folder exists locally.
 */
export function planSync(options: {
  local: ReadonlyMap<string, LocalFile>
  localFolders: ReadonlySet<string>
  remote: readonly ListedObject[]
  known: ReadonlyMap<string, KnownObject>
}): SyncPlan {
  const remote = new Map(options.remote.map((object) => [object.key, object]))
  const uploads: string[] = []
  let unchanged = 0
  for (const [key, file] of options.local) {
    const object = remote.get(key)
    const known = options.known.get(key)
    const same =
      object !== undefined &&
      known !== undefined &&
      object.etag === known.etag &&
      object.size === known.size &&
      known.size === file.size &&
      known.md5 === file.md5
    if (same) unchanged++
    else uploads.push(key)
  }
  const deletes: string[] = []
  for (const object of options.remote) {
    if (options.local.has(object.key)) continue
    const target = keyPath(object.key)
    if (target.kind === 'folder' && (target.path === '' || options.localFolders.has(target.path))) continue
    deletes.push(object.key)
  }
  return {uploads: uploads.sort(compareKeys), deletes: deletes.sort(compareKeys), unchanged}
}
