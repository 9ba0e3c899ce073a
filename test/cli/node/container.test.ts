// node run --image: commands in containers of a real private dockerd, images from a real docker-registry.
import {describe, expect, it} from 'vitest'

import {buildBusyboxImage, dockerForSuite, pushImage, registryForSuite} from '../../helpers/docker.js'

describe('docker test helpers', () => {
  const docker = dockerForSuite()
  const registries = registryForSuite()
  const authed = registryForSuite({auth: {username: 'alice', password: 's3cret pass'}})

  it('builds busybox images, pushes them and reads back their digests', async () => {
    const first = await buildBusyboxImage(docker.dockerd, 'bb:one', 'one')
    const second = await buildBusyboxImage(docker.dockerd, 'bb:two', 'two')
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(second).not.toBe(first)
    const ref = `${registries.registry.host}/team/web:tag`
    const digest = await pushImage(docker.dockerd, first, ref)
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const head = await fetch(`http://${registries.registry.host}/v2/team/web/manifests/tag`, {
      method: 'HEAD',
      headers: {Accept: 'application/vnd.docker.distribution.manifest.v2+json'},
    })
    expect(head.headers.get('docker-content-digest')).toBe(digest)
    const newer = await pushImage(docker.dockerd, second, ref)
    expect(newer).not.toBe(digest)
  })

  it('pushes to a registry with basic auth, which refuses anonymous reads', async () => {
    const image = await buildBusyboxImage(docker.dockerd, 'bb:auth', 'auth')
    const anonymous = await fetch(`http://${authed.registry.host}/v2/`)
    expect(anonymous.status).toBe(401)
    const digest = await pushImage(docker.dockerd, image, `${authed.registry.host}/team/private:v1`, authed.registry.auth)
    const head = await fetch(`http://${authed.registry.host}/v2/team/private/manifests/v1`, {
      method: 'HEAD',
      headers: {
        Accept: 'application/vnd.docker.distribution.manifest.v2+json',
        Authorization: `Basic ${Buffer.from('alice:s3cret pass').toString('base64')}`,
      },
    })
    expect(head.headers.get('docker-content-digest')).toBe(digest)
  })
})
