// The `github` kind: `user/repo` on GitHub (or GitHub Enterprise, via the `github.url` setting); stored and read as git.
import {InvalidArgumentError} from '../../base/errors.js'
import type {KindDriver} from '../driver.js'
import {driver as git, resolveGitLocation} from '../git/index.js'
import {githubBaseUrl} from './base-url.js'

/** `user/repo` → `BASE/user/repo`; full URLs are kept. Pure. */
export function githubUrl(location: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location
  if (!/^[\w.-]+\/[\w.-]+$/.test(location)) {
    throw new InvalidArgumentError(`\`${location}\` is not a GitHub repository; expected user/repo`)
  }
  return `${base.replace(/\/+$/, '')}/${location.replace(/\.git$/, '')}`
}

export const driver: KindDriver = {
  ...git,
  async resolve(input, ctx) {
    if (input.location === undefined) throw new InvalidArgumentError('a github source needs a LOCATION (user/repo)')
    return resolveGitLocation(githubUrl(input.location, githubBaseUrl(ctx.settings)), input.tag, ctx)
  },
}
