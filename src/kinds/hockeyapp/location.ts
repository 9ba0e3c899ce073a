// Pure rules for HockeyApp locations: `APP_ID` ↔ `BASE/manage/apps/APP_ID`, the API base, and the listing URL.
import {InvalidArgumentError} from '../../base/errors.js'

export const DEFAULT_HOCKEYAPP_URL = 'https://rink.hockeyapp.net'

/** An app on a HockeyApp server: the server's base URL (no trailing `/`) and the app's public identifier. */
export interface AppRef {
  base: string
  appId: string
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
/** `…/manage/apps/ID` (the app's page, as stored) or `…/apps/ID` (its public page), after an optional path prefix. */
const APP_PATH = /^(.*?)\/(?:manage\/)?apps\/([^/]+)\/?$/

/** The server `APP_ID` shortcuts point at, and the only one the HockeyApp token is sent to. */
export function hockeyappBaseUrl(settings: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string {
  return trimSlashes(env.DKT_HOCKEYAPP_URL || settings['hockeyapp.url'] || DEFAULT_HOCKEYAPP_URL)
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

const EXPECTED = 'expected an App ID or https://rink.hockeyapp.net/manage/apps/APP_ID'

/** Parses a stored (or typed) app URL into its server base and App ID; throws a one-sentence error otherwise. */
export function parseAppUrl(location: string): AppRef {
  let url: URL
  try {
    url = new URL(location)
  } catch {
    throw new InvalidArgumentError(`\`${location}\` is not a HockeyApp app; ${EXPECTED}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentError(`\`${location}\` is not a HockeyApp app: only http and https URLs are; ${EXPECTED}`)
  }
  if (url.username || url.password) {
    // A credential in a URL would be committed with the source: tokens belong in .dkt/secrets/.
    throw new InvalidArgumentError('a HockeyApp URL must not carry credentials; pass the token with `dkt init --hockeyapp-token T`')
  }
  const match = APP_PATH.exec(url.pathname)
  if (!match || url.search || url.hash || !APP_ID.test(decodeURIComponent(match[2]))) {
    throw new InvalidArgumentError(`\`${location}\` is not a HockeyApp app URL; ${EXPECTED}`)
  }
  return {base: trimSlashes(`${url.origin}${match[1]}`), appId: decodeURIComponent(match[2])}
}

/** What `source add` stores: `APP_ID` becomes `BASE/manage/apps/APP_ID`; a URL is normalized to that form. */
export function hockeyappLocation(input: string, base: string): string {
  if (APP_ID.test(input)) return appUrl({base: trimSlashes(base), appId: input})
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    throw new InvalidArgumentError(`\`${input}\` is not a HockeyApp App ID; ${EXPECTED}`)
  }
  return appUrl(parseAppUrl(input))
}

export function appUrl(ref: AppRef): string {
  return `${ref.base}/manage/apps/${encodeURIComponent(ref.appId)}`
}

/** The developer listing of every version, with the direct download URL of each build. */
export function appVersionsUrl(ref: AppRef): string {
  return `${ref.base}/api/2/apps/${encodeURIComponent(ref.appId)}/app_versions?include_build_urls=true`
}

/** Whether the token may be sent to this app's server: only to the configured one (as the GitHub token). */
export function mayReceiveToken(ref: AppRef, configuredBase: string): boolean {
  return ref.base.toLowerCase() === trimSlashes(configuredBase).toLowerCase()
}
