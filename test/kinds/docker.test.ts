// The docker kind passes the conformance suite: images pushed by a private dockerd to a real docker-registry.
import {randomBytes} from 'node:crypto'

import {buildBusyboxImage, dockerForSuite, pushImage, registryForSuite} from '../helpers/docker.js'
import {conformanceSuite, testContext} from './conformance.js'

const docker = dockerForSuite()
const registry = registryForSuite()

conformanceSuite({
  kind: 'docker',
  // A registry keeps no history of a tag: only the digest it names now is valid.
  keepsOlderVersions: false,
  async subject() {
    const image = `${registry.registry.host}/conformance/${randomBytes(4).toString('hex')}`
    let variant = 0
    const push = async () => {
      const local = `conformance-${++variant}:latest`
      await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, local, `${image} ${variant}`), `${image}:latest`)
    }
    await push()
    return {input: {location: image}, ctx: testContext(), advance: push}
  },
})
