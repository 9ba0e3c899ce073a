// The HockeyApp API v2 listing of an app's versions (`GET /api/2/apps/APP_ID/app_versions`), read as builds.
import {RemoteUnreachableError} from '../../base/errors.js'
import type {DriverContext} from '../driver.js'
import {assertOk, httpRequest} from '../http.js'
import {type AppRef, appVersionsUrl, hockeyappBaseUrl, mayReceiveToken} from './location.js'

/** One downloadable build of an app, as the listing describes it. */
export interface Build {
  /** The build number (HockeyApp's `version`: CFBundleVersion, versionCode). */
  build: string
  /** The marketing version (`shortversion`, e.g. `1.2`), if given. */
  shortVersion?: string
  /** Direct download URL of the build file (`build_url`). */
  url: string
  /** Upload time, seconds since the epoch, if given. */
  timestamp?: number
  /** Size in bytes announced by the listing, if given. */
  size?: number
  /**
   * What identifies this upload: its id, build number, time and size. A build replaced by a new upload under the
   * same number gets a new key, so the cache never mistakes one file for the other.
   */
  key: string
}

const TOKEN_FILE = '.dkt/secrets/hockeyapp-token'

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/**
 * The builds of a listing body, oldest → newest (the API lists newest first). Versions without a build file (no
 * `build_url`, e.g. symbols only) are left out. Pure; throws on a body that is not such a listing.
 */
export function parseAppVersions(body: unknown, base: string): Build[] {
  const versions = (body as {app_versions?: unknown} | null)?.app_versions
  if (!Array.isArray(versions)) {
    throw new RemoteUnreachableError(`HockeyApp API ${base} answered something that is not an app_versions listing`)
  }
  const builds: Build[] = []
  for (const entry of versions as Record<string, unknown>[]) {
    const build = text(entry?.version)
    const url = text(entry?.build_url)
    if (build === undefined || url === undefined) continue
    const timestamp = finite(entry.timestamp)
    const size = finite(entry.appsize)
    builds.push({
      build,
      shortVersion: text(entry.shortversion),
      url: new URL(url, `${base}/`).toString(),
      timestamp,
      size,
      key: [text(entry.id) ?? '', build, timestamp ?? '', size ?? ''].join('/'),
    })
  }
  return builds.reverse()
}

/** What to tell the user when the server refuses the request, depending on which token (if any) was sent. */
function tokenHint(ref: AppRef, ctx: DriverContext): string {
  const configured = hockeyappBaseUrl(ctx.settings)
  if (!ctx.secrets['hockeyapp-token']) return `no HockeyApp token is set; create the project with \`dkt init --hockeyapp-token T\` or write it to ${TOKEN_FILE}`
  if (!mayReceiveToken(ref, configured)) {
    return `the HockeyApp token is only sent to ${configured}; run \`dkt config set hockeyapp.url ${ref.base}\` to send it to this server`
  }
  return `check the token in ${TOKEN_FILE}`
}

/** The builds of an app, oldest → newest; with a tag, only those whose marketing version is that tag. */
export async function listBuilds(ref: AppRef, tag: string | undefined, ctx: DriverContext): Promise<Build[]> {
  const token = ctx.secrets['hockeyapp-token']
  const headers: Record<string, string> = {Accept: 'application/json'}
  if (token && mayReceiveToken(ref, hockeyappBaseUrl(ctx.settings))) headers['X-HockeyAppToken'] = token
  const what = `HockeyApp API ${ref.base}`
  const response = await httpRequest(appVersionsUrl(ref), what, {headers, signal: ctx.signal})
  assertOk(response, what, {missing: `HockeyApp app \`${ref.appId}\` does not exist, or the token cannot see it`, token: tokenHint(ref, ctx)})
  let body: unknown
  try {
    body = await response.json()
  } catch (error) {
    if (ctx.signal?.aborted) throw error
    throw new RemoteUnreachableError(`HockeyApp API ${ref.base} answered with a listing that is not JSON`, {cause: error})
  }
  const builds = parseAppVersions(body, ref.base)
  return tag === undefined ? builds : builds.filter((b) => b.shortVersion === tag)
}
