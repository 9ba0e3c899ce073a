// What the scheduler watches for a git source on this machine: the refs of a local repository (a commit moves them).
import {existsSync} from 'node:fs'
import * as path from 'node:path'

import type {DriverContext, SourceSpec} from '../driver.js'
import {isRemoteUrl} from './mirror.js'

/** The refs, packed refs and HEAD of a local (or `file://`) repository; undefined for a remote one, which is polled. */
export function localRepositoryRefs(source: SourceSpec, ctx: DriverContext): string[] | undefined {
  if (isRemoteUrl(source.location) && !source.location.startsWith('file://')) return undefined
  const repo = path.resolve(ctx.baseDir, source.location.replace(/^file:\/\//, ''))
  const gitDir = existsSync(path.join(repo, '.git')) ? path.join(repo, '.git') : repo
  return [path.join(gitDir, 'refs'), path.join(gitDir, 'packed-refs'), path.join(gitDir, 'HEAD')]
}
