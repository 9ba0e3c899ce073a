// The `hockeyapp` kind: the builds of a HockeyApp app; a version is the `md5:` of a build file, BUILD its number.
import {InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import {shortVersion, type Version} from '../../base/version.js'
import type {DriverContext, Fields, KindDriver, SourceSpec} from '../driver.js'
import {type Build, listBuilds} from './api.js'
import {BuildCache} from './builds.js'
import {type AppRef, hockeyappBaseUrl, hockeyappLocation, parseAppUrl} from './location.js'
import {buildLog} from './log.js'

/** The builds TAG selects (all, or one marketing version), oldest → newest; never empty. */
async function listedBuilds(source: SourceSpec, ref: AppRef, ctx: DriverContext): Promise<Build[]> {
  const builds = await listBuilds(ref, source.tag, ctx)
  if (builds.length === 0) {
    const which = source.tag === undefined ? 'no downloadable builds' : `no downloadable builds of version ${source.tag}`
    throw new NotFoundError(`HockeyApp app \`${ref.appId}\` has ${which} yet; upload one, then check again`, {app: ref.appId})
  }
  return builds
}

/**
 * `from` (when still listed) and the versions of every newer build, oldest → newest. Builds are hashed newest
 * first, each downloaded at most once, and the walk stops at `from`.
 */
async function versionsSince(builds: Build[], from: Version, cache: BuildCache, ctx: DriverContext): Promise<Version[]> {
  const latest = await cache.version(builds.at(-1) as Build, ctx)
  // Known to be an upload that is no longer listed: only the latest build is still valid (no need to hash the rest).
  const knownKeys = cache.keysOf(from)
  const listed = new Set(builds.map((b) => b.key))
  if (knownKeys.length > 0 && !knownKeys.some((key) => listed.has(key))) return [latest]
  const newer: Version[] = []
  for (let i = builds.length - 1; i >= 0; i--) {
    const version = i === builds.length - 1 ? latest : await cache.version(builds[i], ctx)
    if (version === from) return [from, ...newer.reverse()]
    if (!newer.includes(version)) newer.push(version)
  }
  return [latest]
}

export const driver: KindDriver = {
  kind: 'hockeyapp',
  history: 'observed',
  fields: ['ROOT', 'BUILD'],
  logColumns: ['BUILD'],

  async resolve(input, ctx) {
    if (input.location === undefined) {
      throw new InvalidArgumentError('a hockeyapp source needs a LOCATION: an App ID or https://rink.hockeyapp.net/manage/apps/APP_ID')
    }
    const tag = input.tag === 'latest' ? undefined : input.tag
    return {kind: 'hockeyapp', location: hockeyappLocation(input.location, hockeyappBaseUrl(ctx.settings)), tag}
  },

  async check(source, from, ctx) {
    if (source.path) throw new InvalidArgumentError(`hockeyapp source \`${source.name}\` cannot have a PATH: a build is one file`)
    const ref = parseAppUrl(source.location)
    const builds = await listedBuilds(source, ref, ctx)
    const cache = await BuildCache.open(ctx.cacheDir, ref)
    if (from === undefined) return [await cache.version(builds.at(-1) as Build, ctx)]
    return versionsSince(builds, from, cache, ctx)
  },

  async describe(source, version, ctx): Promise<Record<string, string>> {
    const ref = parseAppUrl(source.location)
    const cache = await BuildCache.open(ctx.cacheDir, ref)
    // `check` has just downloaded and indexed this version.
    const build = cache.buildNumber(version)
    return build === undefined ? {} : {BUILD: build}
  },

  log: buildLog,

  async fetch(source, version, _dir, ctx): Promise<Fields> {
    const ref = parseAppUrl(source.location)
    const cache = await BuildCache.open(ctx.cacheDir, ref)
    let root = await cache.verifiedRoot(version)
    if (root === undefined || cache.buildNumber(version) === undefined) {
      // Not in the cache (or changed since, or its index was deleted): download the build with these bytes again,
      // newest upload first. A pinned version may lie outside TAG, so every build is a candidate.
      const builds = (await listBuilds(ref, undefined, ctx)).reverse()
      const known = builds.filter((b) => cache.knownVersion(b) === version)
      for (const build of [...known, ...builds.filter((b) => cache.knownVersion(b) === undefined)]) {
        if ((await cache.download(build, ctx)) === version) {
          root = await cache.verifiedRoot(version)
          break
        }
      }
    }
    const build = cache.buildNumber(version)
    if (root === undefined || build === undefined) {
      throw new NotFoundError(
        `build md5:${shortVersion(version)} of HockeyApp app \`${ref.appId}\` is no longer listed, so it cannot be downloaded again`,
        {app: ref.appId},
      )
    }
    return {ROOT: root, BUILD: build}
  },
}
