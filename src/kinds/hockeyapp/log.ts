// The history of a hockeyapp source: every build its listing still offers (TAG's builds), not only those dkt saw.
import type {Version} from '../../base/version.js'
import type {DriverContext, SourceSpec} from '../driver.js'
import {listBuilds} from './api.js'
import {BuildCache} from './builds.js'
import {parseAppUrl} from './location.js'

/**
 * The versions of the listed builds from the one of `latest` (the last observed) down to the oldest, newest first;
 * `latest` leads even when its build is no longer listed. A build dkt has not hashed yet is streamed through md5
 * once (not kept on disk); the same bytes uploaded twice are one version.
 */
export async function buildLog(source: SourceSpec, latest: Version, ctx: DriverContext): Promise<Version[]> {
  const ref = parseAppUrl(source.location)
  const newestFirst = (await listBuilds(ref, source.tag, ctx)).reverse()
  const cache = await BuildCache.open(ctx.cacheDir, ref)
  const latestKeys = new Set(cache.keysOf(latest))
  const from = newestFirst.findIndex((build) => latestKeys.has(build.key))
  const versions = new Set<Version>(from < 0 ? [latest] : [])
  for (const build of newestFirst.slice(Math.max(from, 0))) versions.add(await cache.hashedVersion(build, ctx))
  return [...versions]
}
