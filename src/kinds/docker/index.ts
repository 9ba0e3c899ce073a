// The `docker` kind: an image repository on a registry; a version is the `sha256:` manifest digest of TAG.
import {InvalidArgumentError, NotFoundError} from '../../base/errors.js'
import type {Version} from '../../base/version.js'
import type {DriverContext, Fields, KindDriver} from '../driver.js'
import {manifestDigest, type RegistryTarget} from './registry-api.js'
import {DEFAULT_TAG, locationOf, parseImageReference, pinnedImage} from '../../base/image-reference.js'

function target(source: {location: string}, ctx: DriverContext): RegistryTarget {
  const ref = parseImageReference(source.location)
  return {
    registry: ref.registry,
    repository: ref.repository,
    token: ctx.secrets['docker-token'],
    insecure: (process.env.DKT_DOCKER_INSECURE ?? ctx.settings['docker.insecure'] ?? '').split(',').map((host) => host.trim()).filter(Boolean),
    signal: ctx.signal,
  }
}

export const driver: KindDriver = {
  kind: 'docker',
  fields: ['IMAGE', 'DIGEST'],
  history: 'observed',

  async resolve(input) {
    if (input.location === undefined) throw new InvalidArgumentError('a docker source needs a LOCATION (an image such as team/web[:TAG])')
    const ref = parseImageReference(input.location)
    if (ref.digest) {
      throw new InvalidArgumentError(
        `\`${input.location}\` names a digest; add the source by tag and pin it with \`dkt source pin NAME ${ref.digest.slice(0, 15)}\``,
      )
    }
    if (ref.tag !== undefined && input.tag !== undefined && ref.tag !== input.tag) {
      throw new InvalidArgumentError(`\`${input.location}\` names two tags (\`${ref.tag}\` and \`${input.tag}\`)`)
    }
    return {kind: 'docker', location: locationOf(ref), tag: input.tag ?? ref.tag ?? DEFAULT_TAG}
  },

  async check(source, _from, ctx) {
    if (source.path) throw new InvalidArgumentError(`docker source \`${source.name}\` cannot have a PATH`)
    // A registry keeps no history of a tag: only the digest it names now is a version, as Concourse's registry-image.
    const digest = (await manifestDigest(target(source, ctx), source.tag ?? DEFAULT_TAG)) as Version
    return [digest]
  },

  async fetch(source, version, _dir, ctx): Promise<Fields> {
    // The tag may have moved on; the digest must still be in the registry for a run to use it.
    try {
      await manifestDigest(target(source, ctx), version)
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(`version ${version} of docker source \`${source.name}\` is no longer in ${source.location}`)
      }
      throw error
    }
    return {IMAGE: pinnedImage(source.location, version), DIGEST: version}
  },
}
