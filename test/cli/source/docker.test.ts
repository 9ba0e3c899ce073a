// The docker kind against a real registry (Debian's docker-registry) holding images pushed by a real private dockerd.
import {execFileSync} from 'node:child_process'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk} from '../../helpers/cli.js'
import {buildBusyboxImage, dockerForSuite, pushImage, registryForSuite} from '../../helpers/docker.js'
import {metaState} from '../../helpers/git.js'
import {newProject} from '../../helpers/project.js'

const docker = dockerForSuite()
const open = registryForSuite()
const guarded = registryForSuite({auth: {username: 'dkt', password: 's3cret-pw'}})

const short = (digest: string) => digest.slice('sha256:'.length, 'sha256:'.length + 8)

interface LogEntry {
  version: string
  observed: string | null
  pinned: boolean
}

/** Everything git knows in a project's metadata repository, every revision of every file. */
function metaHistory(dir: string): string {
  return execFileSync('git', ['-C', path.join(dir, '.dkt'), 'log', '-p', '--all'], {encoding: 'utf8'})
}

describe('docker sources', () => {
  it('records the manifest digest of a tag, follows new pushes, and logs the observed digests newest first', async () => {
    const image = `${open.registry.host}/team/web`
    const first = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'web-a:latest', 'a'), `${image}:latest`)
    const dir = await newProject()
    expect(await dktOk(['source', 'add', 'web', image, '-k', 'docker'], {cwd: dir})).toMatch(
      new RegExp(`^NAME +KIND +LOCATION +TAG +PATH\\nweb +docker +${image.replace(/\./g, '\\.')} +latest +- *\\n$`),
    )
    // The digest is the one the push reported (a Docker v2 manifest), not a schema-1 one.
    expect(await dktOk(['source', 'list'], {cwd: dir})).toBe(`NAME  LATEST\nweb   ${first}\n`)

    const second = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'web-b:latest', 'b'), `${image}:latest`)
    expect(second).not.toBe(first)
    const updated = await dktJson<{name: string; version: string; changed: boolean}>(['source', 'update', 'web'], {cwd: dir})
    expect(updated).toMatchObject({name: 'web', version: second, changed: true})
    // Nothing new: no new commit.
    const before = metaState(dir)
    await dktOk(['source', 'update', 'web'], {cwd: dir})
    expect(metaState(dir).head).toBe(before.head)

    expect(await dktOk(['source', 'log', 'web'], {cwd: dir})).toBe(`ID        FULL\n${short(second)}  ${second}\n${short(first)}  ${first}\n`)
    const log = await dktJson<LogEntry[]>(['source', 'log', 'web'], {cwd: dir})
    expect(log.map((entry) => entry.version)).toEqual([second, first])
    // Pinned to the older digest, a run gets that image by digest.
    await dktOk(['source', 'pin', 'web', short(first)], {cwd: dir})
    const out = await dktOk(['node', 'run', '--input', 'web', '--', 'echo', '${web:IMAGE}', '${web:DIGEST}'], {cwd: dir})
    expect(out).toContain(`${image}@${first} ${first}\n`)
  })

  it('takes a tag from LOCATION:TAG and infers the kind of a registry reference', async () => {
    const image = `${open.registry.host}/team/api`
    const digest = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'api:v1', 'api'), `${image}:v1`)
    const dir = await newProject()
    const added = await dktJson<{kind: string; location: string; tag: string; latest: string}>(['source', 'add', 'api', `${image}:v1`], {cwd: dir})
    expect(added).toMatchObject({kind: 'docker', location: image, tag: 'v1', latest: digest})
  })

  it('refuses a missing tag or repository, and an image as a run output, changing nothing', async () => {
    const image = `${open.registry.host}/team/tagged`
    await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'tagged:v1', 'tagged'), `${image}:v1`)
    const dir = await newProject()
    const before = metaState(dir)
    const missingTag = await dkt(['source', 'add', 'web', `${image}:nope`, '-k', 'docker'], {cwd: dir})
    expect(missingTag.exitCode).toBe(2)
    expect(missingTag.stderr).toBe(`Error: tag \`nope\` does not exist in ${image}; its tags: v1\n`)
    const missingRepo = await dkt(['source', 'add', 'web', `${open.registry.host}/team/ghost`, '-k', 'docker'], {cwd: dir})
    expect(missingRepo.exitCode).toBe(2)
    expect(missingRepo.stderr).toBe(`Error: repository ${open.registry.host}/team/ghost does not exist (or the token may not read it)\n`)
    expect(metaState(dir)).toEqual(before)

    await dktOk(['source', 'add', 'web', `${image}:v1`, '-k', 'docker'], {cwd: dir})
    const written = await dkt(['node', 'run', '--output', 'web', '--', 'true'], {cwd: dir})
    expect(written.exitCode).toBe(2)
    expect(written.stderr).toBe('Error: `web` is a docker source, which a run cannot write; outputs must be git, path or s3 sources\n')
  })

  it('authenticates with the docker token when the registry asks, and never records or prints it', async () => {
    const {host, auth} = guarded.registry
    const image = `${host}/team/private`
    const digest = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'private:latest', 'private'), `${image}:latest`, auth)

    const anonymous = await newProject()
    const refused = await dkt(['source', 'add', 'web', image, '-k', 'docker'], {cwd: anonymous})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toBe(`Error: registry ${host} asks for a user name and password; set a token with \`dkt init --docker-token USER:PASSWORD\` (or a registry bearer token)\n`)

    const wrong = await newProject(['--docker-token', 'dkt:wrong-pw'])
    const bad = await dkt(['source', 'add', 'web', image, '-k', 'docker'], {cwd: wrong})
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(new RegExp(`^Error: registry ${host.replace(/\./g, '\\.')} refused the credentials \\(401 Unauthorized\\); `))
    expect(bad.stderr).not.toContain('wrong-pw')

    const dir = await newProject(['--docker-token', `${auth?.username}:${auth?.password}`])
    const added = await dkt(['source', 'add', 'web', image, '-k', 'docker'], {cwd: dir})
    expect(added.exitCode).toBe(0)
    expect(await dktOk(['source', 'list'], {cwd: dir})).toBe(`NAME  LATEST\nweb   ${digest}\n`)
    for (const text of [added.stdout, added.stderr, metaHistory(dir)]) expect(text).not.toContain('s3cret-pw')
  })

  it('lets the scheduler pick up a new push and run the nodes that read the image', async () => {
    const image = `${open.registry.host}/team/sched`
    await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'sched-a:latest', 'sa'), `${image}:latest`)
    const dir = await newProject()
    await dktOk(['source', 'add', 'web', image, '-k', 'docker'], {cwd: dir})
    await dktOk(['node', 'run', '--input', 'web', '--', 'echo', '${web:DIGEST}'], {cwd: dir})
    const next = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'sched-b:latest', 'sb'), `${image}:latest`)
    await dktOk(['scheduler', '--once'], {cwd: dir})
    const [node] = await dktJson<{id: string}[]>(['node', 'list'], {cwd: dir})
    const {runs} = await dktJson<{runs: {status: string; inputs: Record<string, string>}[]}>(['node', 'log', node.id], {cwd: dir})
    expect(runs.map((run) => [run.status, run.inputs.web])).toEqual([
      ['success', next],
      ['success', expect.stringMatching(/^sha256:/)],
    ])
  })
})
