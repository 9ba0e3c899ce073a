// node run --image: commands in containers of a real private dockerd, images from a real docker-registry.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk, startDkt} from '../../helpers/cli.js'
import {buildBusyboxImage, dockerForSuite, pushImage, registryForSuite} from '../../helpers/docker.js'
import {waitFor} from '../../helpers/git-daemon.js'
import {newProject, writeFiles} from '../../helpers/project.js'
import {startScheduler} from '../../helpers/scheduler.js'

/** Every run manifest of the project (`.dkt/runs/NODE/RUN.json`). */
function recordedRuns(dir: string): RunJson[] {
  const runs = path.join(dir, '.dkt', 'runs')
  return readdirSync(runs).flatMap((node) =>
    readdirSync(path.join(runs, node))
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(path.join(runs, node, file), 'utf8')) as RunJson),
  )
}

/** The one error sentence of a failed command. */
function errorLine(stderr: string): string {
  const errors = stderr.trim().split('\n').filter((line) => line.startsWith('Error'))
  expect(errors).toHaveLength(1)
  return errors[0]
}

interface RunJson {
  id: string
  status: string
  exitCode: number | null
  reason: string | null
  image: string | null
  inputs: Record<string, string>
  outputs: Record<string, string>
}

const docker = dockerForSuite()

describe('docker test helpers', () => {
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

describe('node run --image', () => {
  let imageId: string
  const env = () => ({DOCKER_HOST: docker.dockerd.host})

  beforeAll(async () => {
    imageId = await buildBusyboxImage(docker.dockerd, 'bb:test')
  }, 60_000)

  async function containersLeft(): Promise<number> {
    const client = await docker.dockerd.client()
    return (await client.listContainers({all: true})).length
  }

  /** A project with an input `data` (a.txt) and an empty output folder `report`. */
  async function project(): Promise<string> {
    const dir = await newProject()
    writeFiles(dir, {'data/a.txt': 'one\ntwo\n', 'report/.keep': ''})
    await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
    await dktOk(['source', 'add', 'report', 'report'], {cwd: dir})
    return dir
  }

  it('mounts inputs read-only and outputs read-write at container paths, with no network, and removes the container', async () => {
    const dir = await project()
    const script = [
      'echo "root=${data:ROOT} env=$data_ROOT out=$report_ROOT pwd=$(pwd)"',
      'echo "net=$(ls /sys/class/net | tr "\\n" " ")"',
      'touch "$data_ROOT/new" 2>&1 || echo "input is read-only"',
      'cp "$data_ROOT/a.txt" "$report_ROOT/copy.txt"',
      'echo "uid=$(id -u):$(id -g)"',
    ].join('; ')
    const result = await dkt(['node', 'run', '--image', 'bb:test', '--input', 'data', '--output', 'report', '--json', '--', 'sh', '-c', script], {cwd: dir, env: env()})
    expect(result.exitCode, result.stderr).toBe(0)
    const {run} = JSON.parse(result.stdout) as {run: RunJson}
    expect(result.stderr).toContain('root=/dkt/in/data env=/dkt/in/data out=/dkt/out/report pwd=/dkt/work')
    expect(result.stderr).toContain('net=lo \n')
    expect(result.stderr).toMatch(/Read-only file system\ninput is read-only/)
    expect(result.stderr).toContain(`uid=${process.getuid?.()}:${process.getgid?.()}`)
    expect(existsSync(path.join(dir, 'data', 'new'))).toBe(false)
    expect(readFileSync(path.join(dir, 'report', 'copy.txt'), 'utf8')).toBe('one\ntwo\n')
    expect(statSync(path.join(dir, 'report', 'copy.txt')).uid).toBe(process.getuid?.())
    expect(run).toMatchObject({status: 'success', exitCode: 0, image: imageId})
    expect(run.outputs.report).toMatch(/^md5:[0-9a-f]{32}$/)
    const log = await dktJson<Array<{version: string}>>(['source', 'log', 'report'], {cwd: dir})
    expect(log[0].version).toBe(run.outputs.report)
    expect(await containersLeft()).toBe(0)
  })

  it('records a failing command as failure with its exit code (exit 1)', async () => {
    const dir = await project()
    const result = await dkt(['node', 'run', '--image', 'bb:test', '--input', 'data', '--json', '--', 'sh', '-c', 'echo oops >&2; exit 3'], {cwd: dir, env: env()})
    expect(result.exitCode).toBe(1)
    const {run} = JSON.parse(result.stdout) as {run: RunJson}
    expect(run).toMatchObject({status: 'failure', exitCode: 3})
    expect(await dktOk(['node', 'output', run.id], {cwd: dir})).toContain('oops')
    expect(await containersLeft()).toBe(0)
  })

  it('runs a stored script of the project, mounted into the container', async () => {
    const dir = await project()
    writeFiles(dir, {'count.sh': '#!/bin/sh\nwc -l < "${data:ROOT}/a.txt" > "${report:ROOT}/lines"\necho "args: $*"\n'})
    const result = await dkt(['node', 'run', '--image', 'bb:test', '--input', 'data', '--output', 'report', './count.sh', 'a b', '$HOME'], {cwd: dir, env: env()})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('args: a b $HOME')
    expect(readFileSync(path.join(dir, 'report', 'lines'), 'utf8').trim()).toBe('2')
  })

  it('gives the container a network only when --network asks, and that is part of the node', async () => {
    const dir = await project()
    const args = ['node', 'run', '--image', 'bb:test', '--json', '--', 'sh', '-c', 'ls /sys/class/net']
    const none = JSON.parse((await dkt(args, {cwd: dir, env: env()})).stdout) as {node: string}
    const host = await dkt([...args.slice(0, 4), '--network', 'host', ...args.slice(4)], {cwd: dir, env: env()})
    expect(host.exitCode, host.stderr).toBe(0)
    expect(host.stderr.trim().split('\n').length).toBeGreaterThan(1)
    expect((JSON.parse(host.stdout) as {node: string}).node).not.toBe(none.node)
    const unknown = await dkt(['node', 'run', '--image', 'bb:test', '--network', 'nosuchnet', '--', 'sh', '-c', 'true'], {cwd: dir, env: env()})
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toMatch(/: error in .*: the container could not start: network nosuchnet not found; outputs -/)
    expect(recordedRuns(dir).find((run) => run.status === 'error')?.reason).toBe('the container could not start: network nosuchnet not found')
    expect(await containersLeft()).toBe(0)
  })

  it('a missing image is one sentence, exit 1, and an error run', async () => {
    const dir = await project()
    const result = await dkt(['node', 'run', '--image', '127.0.0.1:9/nobody/nothing:v1', '--input', 'data', 'true'], {cwd: dir, env: env()})
    expect(result.exitCode).toBe(1)
    // The error alone: no run status line repeating it.
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1)
    expect(errorLine(result.stderr)).toMatch(/^Error: image `127\.0\.0\.1:9\/nobody\/nothing:v1` is not on the Docker engine at `unix:\/\/.*` and could not be pulled \(.*\); build or pull it first, or check the name$/)
    const runs = recordedRuns(dir)
    expect(runs).toHaveLength(1)
    expect(runs[0].status).toBe('error')
    expect(runs[0].reason).toMatch(/could not be pulled/)
  })

  it('an unreachable engine is one sentence, exit 1', async () => {
    const dir = await project()
    const dead = path.join(docker.dockerd.dir, 'nobody-here.sock')
    const result = await dkt(['node', 'run', '--image', 'bb:test', 'true'], {cwd: dir, env: {DOCKER_HOST: `unix://${dead}`}})
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1)
    expect(errorLine(result.stderr)).toMatch(/^Error: cannot reach the Docker engine at `unix:\/\/.*nobody-here\.sock` \(ENOENT\); start dockerd or point DOCKER_HOST at a running engine$/)
    expect(recordedRuns(dir)).toMatchObject([{status: 'error', reason: expect.stringMatching(/^cannot reach the Docker engine/)}])
  })

  it('Ctrl-C stops and removes the container and records the run as cancelled', async () => {
    const dir = await project()
    const started = startDkt(['node', 'run', '--image', 'bb:test', '--', 'sh', '-c', 'echo started; sleep 60'], {cwd: dir, env: env()})
    await waitFor(() => started.stdout.includes('started'), 'the container to start', 30_000)
    expect(await containersLeft()).toBe(1)
    started.child.kill('SIGINT')
    expect(await started.exited).toBe(1)
    expect(started.stderr).toMatch(/: cancelled/)
    const [run] = recordedRuns(dir)
    // 143 = 128 + SIGTERM: the command got the stop signal itself (through the container's init), not the SIGKILL
    // that follows the grace period.
    expect(run).toMatchObject({status: 'cancelled', reason: 'cancelled by the user', exitCode: 143})
    expect(await containersLeft()).toBe(0)
  })

  it('the scheduler runs container nodes, and its second Ctrl-C kills and removes the container (cancelled)', async () => {
    const dir = await project()
    await dktOk(['node', 'run', '--detach', '--image', 'bb:test', '--input', 'data', '--output', 'report', '--', 'sh', '-c', 'cp "$data_ROOT/a.txt" "$report_ROOT/"'], {cwd: dir})
    const once = await dkt(['scheduler', '--once'], {cwd: dir, env: env()})
    expect(once.exitCode, once.stderr).toBe(0)
    expect(readFileSync(path.join(dir, 'report', 'a.txt'), 'utf8')).toBe('one\ntwo\n')

    await dktOk(['node', 'run', '--detach', '--image', 'bb:test', '--input', 'data', '--', 'sh', '-c', 'echo started; sleep 60'], {cwd: dir})
    const scheduler = startScheduler(dir, [], env())
    await scheduler.until((e) => e.type === 'run-started', 'the run to start')
    await waitFor(async () => (await containersLeft()) === 1, 'the container to exist', 30_000)
    scheduler.child.kill('SIGINT')
    await scheduler.until((e) => e.type === 'stopping', 'the scheduler to say it is stopping')
    scheduler.child.kill('SIGINT')
    const finished = await scheduler.until((e) => e.type === 'run-finished', 'the run to end')
    expect((finished.run as {status: string}).status).toBe('cancelled')
    expect(await scheduler.exited).toBe(1)
    expect(await containersLeft()).toBe(0)
  })

  describe('with a docker source as the image', () => {
    const registries = registryForSuite()
    const auth = {username: 'bob', password: 'pull-me'}
    const authed = registryForSuite({auth})

    it('runs its version pinned by digest (pulled if the engine lacks it), and a new version makes the node due', async () => {
      const dir = await project()
      const ref = `${registries.registry.host}/team/web`
      const first = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'web-v1:latest', 'v1'), `${ref}:tag`)
      // The engine must fetch the pinned digest from the registry.
      const client = await docker.dockerd.client()
      for (const tag of ['web-v1:latest', `${ref}:tag`]) await client.getImage(tag).remove()
      await dktOk(['source', 'add', 'web', `${ref}:tag`, '-k', 'docker'], {cwd: dir})
      const command = ['--', 'sh', '-c', 'echo "variant=$(cat /variant) image=${web:IMAGE}"']
      const result = await dkt(['node', 'run', '--image', 'web', '--input', 'data', '--json', ...command], {cwd: dir, env: env()})
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stderr).toContain(`variant=v1 image=${ref}@${first}`)
      const {node, run} = JSON.parse(result.stdout) as {node: string; run: RunJson}
      expect(run).toMatchObject({status: 'success', image: `${ref}@${first}`, inputs: {web: first}})
      const [def] = await dktJson<Array<{image: string; inputs: string[]}>>(['node', 'list'], {cwd: dir})
      expect(def).toMatchObject({image: 'web', inputs: ['data', 'web']})
      expect(await dktJson<Array<{due: boolean}>>(['status'], {cwd: dir})).toMatchObject([{node, due: false}])

      const second = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'web-v2:latest', 'v2'), `${ref}:tag`)
      await dktOk(['source', 'update', 'web'], {cwd: dir})
      const status = await dktJson<Array<{node: string; due: boolean; reasons: string[]}>>(['status'], {cwd: dir})
      expect(status).toMatchObject([{node, due: true}])
      expect(status[0].reasons.join(' ')).toMatch(/web/)
      const rerun = await dkt(['node', 'run', '--image', 'web', '--input', 'data', '--json', ...command], {cwd: dir, env: env()})
      expect(rerun.stderr).toContain(`variant=v2 image=${ref}@${second}`)
      expect((JSON.parse(rerun.stdout) as {run: RunJson}).run).toMatchObject({image: `${ref}@${second}`, inputs: {web: second}})
    })

    it('pulls from a registry that asks for credentials with the docker token', async () => {
      const ref = `${authed.registry.host}/team/private`
      const digest = await pushImage(docker.dockerd, await buildBusyboxImage(docker.dockerd, 'private-v1:latest', 'private'), `${ref}:v1`, auth)
      const client = await docker.dockerd.client()
      for (const tag of ['private-v1:latest', `${ref}:v1`]) await client.getImage(tag).remove()
      const dir = await newProject(['--docker-token', `${auth.username}:${auth.password}`])
      await dktOk(['source', 'add', 'app', `${ref}:v1`, '-k', 'docker'], {cwd: dir})
      const result = await dkt(['node', 'run', '--image', 'app', '--json', '--', 'sh', '-c', 'cat /variant'], {cwd: dir, env: env()})
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stderr).toContain('private')
      expect((JSON.parse(result.stdout) as {run: RunJson}).run).toMatchObject({image: `${ref}@${digest}`})
      expect(result.stdout + result.stderr).not.toContain(auth.password)
    })
  })
})
