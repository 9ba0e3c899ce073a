// Sub-paths of sources (`-p`): `/`-rooted, normalized, never escaping their location. Pure.
import * as path from 'node:path'

import {InvalidArgumentError} from '../base/errors.js'

/** Normalizes `p` under `base` (a parent's sub-path): `joinSubPath('/v1', 'pitfall')` = `/v1/pitfall`. */
export function joinSubPath(base: string | undefined, p: string | undefined): string | undefined {
  if (p === undefined) return base
  if (p.includes('\\')) throw new InvalidArgumentError(`sub-path \`${p}\` must use \`/\` separators`)
  const parts = [...(base ?? '').split('/'), ...p.split('/')].filter((part) => part !== '' && part !== '.')
  const joined = path.posix.normalize(`/${parts.join('/')}`)
  if (parts.includes('..')) {
    // normalize() resolved the `..`; make sure it did not climb above the root of the location
    let depth = 0
    for (const part of parts) {
      depth += part === '..' ? -1 : 1
      if (depth < 0) throw new InvalidArgumentError(`sub-path \`${p}\` leaves the source's location`)
    }
  }
  return joined === '/' ? undefined : joined
}
