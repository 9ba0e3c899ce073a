// The `hockeyapp` kind through the real CLI, against a local server that speaks the HockeyApp API v2.
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {Ajv} from 'ajv'
import {describe, expect, it} from 'vitest'

import {type CliResult, dkt as runDkt, REPO_ROOT} from '../../helpers/cli.js'
import {freePort} from '../../helpers/git-daemon.js'
import {git} from '../../helpers/git.js'
import {hockeyAppServerForSuite, startHockeyAppServer} from '../../helpers/hockeyapp-server.js'
import {tempDir} from '../../helpers/tmp.js'

const TOKEN = `hk-${randomBytes(12).toString('hex')}`
const hockey = hockeyAppServerForSuite({token: TOKEN})

/** Every output of every dkt call of this file, to show that the token is never printed. */
const outputs: CliResult[] = []
const projects: string[] = []

type Env = Record<string, string | undefined>

async function dkt(args: string[], cwd: string, env: Env = {}): Promise<CliResult> {
  const result = await runDkt(args, {cwd, env: {DKT_HOCKEYAPP_URL: hockey.server.url, DKT_HOCKEYAPP_TOKEN: undefined, ...env}})
  outputs.push(result)
  return result
}

async function ok(args: string[], cwd: string, env: Env = {}): Promise<string> {
  const result = await dkt(args, cwd, env)
  if (result.exitCode !== 0) throw new Error(`dkt ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`)
  return result.stdout
}

async function json<T>(args: string[], cwd: string, env: Env = {}): Promise<T> {
  return JSON.parse(await ok([...args, '--json'], cwd, env)) as T
}

async function project(token: string | null = TOKEN): Promise<string> {
  const dir = tempDir('dkt-proj-')
  await ok(['init', ...(token === null ? [] : ['--hockeyapp-token', token])], dir)
  projects.push(dir)
  return dir
}

const md5 = (content: Buffer | string) => `md5:${createHash('md5').update(content).digest('hex')}`
/** A build file: real bytes, different for every build. */
const dmg = (build: string) => Buffer.concat([Buffer.from(`Docker.dmg build ${build}\n`), randomBytes(70_000)])

/** An app on the server with the given builds published in order; returns its ID and each build's version. */
function app(builds: string[]): {appId: string; versions: Record<string, string>} {
  const appId = hockey.server.addApp()
  const versions: Record<string, string> = {}
  for (const build of builds) versions[build] = publish(appId, build)
  return {appId, versions}
}

function publish(appId: string, build: string, shortVersion = '1.0'): string {
  const content = dmg(build)
  hockey.server.publish(appId, {build, content, shortVersion})
  return md5(content)
}

async function refusedUpdate(dir: string, url: string): Promise<void> {
  const result = await dkt(['source', 'update', 'dmg'], dir, {DKT_HOCKEYAPP_URL: url})
  expect(result.exitCode, result.stderr).toBe(1)
  expect(result.stderr).toBe(`Error: cannot reach HockeyApp API ${url}: connection refused\n`)
}

const commits = (dir: string) => git(path.join(dir, '.dkt'), ['rev-list', '--count', 'HEAD'])
const short = (version: string) => version.slice(4, 12)

/** Runs a node on `dmg` that reports the md5 of the file in ${dmg:ROOT} and ${dmg:BUILD}, and returns that report. */
async function runOnDmg(dir: string): Promise<string> {
  const report = path.join(tempDir(), 'report')
  await ok(['node', 'run', '--input', 'dmg', '--', 'sh', '-c', 'cd "$1" && md5sum * > "$3"; echo "BUILD=$2" >> "$3"', 'sh', '${dmg:ROOT}', '${dmg:BUILD}', report], dir)
  return readFileSync(report, 'utf8')
}

describe('hockeyapp sources', () => {
  it('adds an App ID: the seed table, the stored location, the latest build as its version', async () => {
    const {appId, versions} = app(['2245', '2246'])
    const dir = await project()
    const out = await ok(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], dir)
    const location = `${hockey.server.url}/manage/apps/${appId}`
    expect(out.split('\n')[0]).toMatch(/^NAME\s+KIND\s+LOCATION\s+TAG\s+PATH$/)
    expect(out.split('\n')[1].split(/\s+/)).toEqual(['dmg', 'hockeyapp', location, '-', '-'])
    expect(JSON.parse(readFileSync(path.join(dir, '.dkt/sources/dmg.json'), 'utf8'))).toMatchObject({kind: 'hockeyapp', location})
    expect(await json(['source', 'list'], dir)).toEqual([expect.objectContaining({name: 'dmg', latest: versions['2246']})])
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe(`source add dmg (hockeyapp ${location})`)
    // Only the latest build was needed, and it was downloaded once.
    expect(hockey.server.downloads(appId)).toEqual({'2246': 1})
    // The full URL is accepted too, and names the same app.
    const full = await json<{location: string; latest: string}>(['source', 'add', 'dmg2', location, '-k', 'hockeyapp'], dir)
    expect(full).toMatchObject({kind: 'hockeyapp', location, latest: versions['2246']})
    expect(hockey.server.downloads(appId)).toEqual({'2246': 1})
  })

  it('update records a newly published build with its BUILD; source log shows every downloadable build, ID BUILD FULL, newest first', async () => {
    const {appId, versions} = app(['2245', '2246'])
    const dir = await project()
    await ok(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], dir)
    expect(await json(['source', 'update', 'dmg'], dir)).toMatchObject({version: versions['2246'], changed: false})
    versions['2247'] = publish(appId, '2247')
    await ok(['source', 'update', 'dmg'], dir)
    expect(git(path.join(dir, '.dkt'), ['log', '-1', '--format=%s'])).toBe(`source update dmg md5:${short(versions['2247'])}`)
    const log = await ok(['source', 'log', 'dmg'], dir)
    expect(log).toBe(
      [
        'ID        BUILD  FULL',
        `${short(versions['2247'])}  2247   ${versions['2247']}`,
        `${short(versions['2246'])}  2246   ${versions['2246']}`,
        `${short(versions['2245'])}  2245   ${versions['2245']}`,
        '',
      ].join('\n'),
    )
    const entries = await json<{version: string; observed: string | null; info: Record<string, string>}[]>(['source', 'log', 'dmg'], dir)
    expect(entries.map((e) => [e.version, e.info.BUILD, e.observed === null])).toEqual([
      [versions['2247'], '2247', false],
      [versions['2246'], '2246', false],
      [versions['2245'], '2245', true],
    ])
    const ajv = new Ajv({allErrors: true, strict: true})
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/source-log.json'), 'utf8')))
    expect(validate(entries), ajv.errorsText(validate.errors)).toBe(true)
    // Each build was downloaded once: 2245 only by the first log, to learn its md5, which is remembered; its bytes
    // were not kept (a run that needs them downloads them).
    expect(hockey.server.downloads(appId)).toEqual({'2245': 1, '2246': 1, '2247': 1})
    const [appCache] = readdirSync(path.join(dir, '.dkt/cache/hockeyapp'))
    expect(existsSync(path.join(dir, '.dkt/cache/hockeyapp', appCache, versions['2245'].slice(4)))).toBe(false)
    // A pin on a build dkt never observed works from the log: the build is downloaded when a run needs it.
    await ok(['source', 'pin', 'dmg', versions['2245']], dir)
    expect(await runOnDmg(dir)).toBe(`${versions['2245'].slice(4)}  Docker-2245.dmg\nBUILD=2245\n`)
    expect(hockey.server.downloads(appId)).toEqual({'2245': 2, '2246': 1, '2247': 1})
  })

  it('a node reads ${dmg:ROOT} and ${dmg:BUILD}; pinned to an older build it runs on that build', async () => {
    const {appId, versions} = app(['2245', '2246'])
    const dir = await project()
    await ok(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], dir)
    expect(await runOnDmg(dir)).toBe(`${versions['2246'].slice(4)}  Docker-2246.dmg\nBUILD=2246\n`)
    versions['2247'] = publish(appId, '2247')
    await ok(['source', 'update', 'dmg'], dir)
    expect(await runOnDmg(dir)).toBe(`${versions['2247'].slice(4)}  Docker-2247.dmg\nBUILD=2247\n`)

    await ok(['source', 'pin', 'dmg', short(versions['2246'])], dir)
    expect(await runOnDmg(dir)).toBe(`${versions['2246'].slice(4)}  Docker-2246.dmg\nBUILD=2246\n`)
    expect(hockey.server.downloads(appId)).toEqual({'2246': 1, '2247': 1})

    // A cached build that changed (a run wrote to it) is noticed and downloaded again; so is a deleted cache.
    const cache = path.join(dir, '.dkt/cache/hockeyapp')
    const [appCache] = readdirSync(cache)
    const file = path.join(cache, appCache, versions['2246'].slice(4), 'Docker-2246.dmg')
    chmodSync(file, 0o644)
    writeFileSync(file, 'tampered')
    await ok(['node', 'rerun', (await json<{id: string}[]>(['node', 'list'], dir))[0].id], dir)
    expect(createHash('md5').update(readFileSync(file)).digest('hex')).toBe(versions['2246'].slice(4))
    expect(hockey.server.downloads(appId)).toEqual({'2246': 2, '2247': 1})
    rmSync(cache, {recursive: true, force: true})
    const fetched = await json<{fields: Record<string, string>}>(['source', 'fetch', `dmg:${short(versions['2246'])}`, path.join(tempDir(), 'out')], dir)
    expect(fetched.fields.BUILD).toBe('2246')
    expect(md5(readFileSync(path.join(fetched.fields.ROOT, 'Docker-2246.dmg')))).toBe(versions['2246'])
    // With no cache at all, the build with these bytes is found by hashing the listed builds, newest first.
    expect(hockey.server.downloads(appId)).toEqual({'2246': 3, '2247': 2})
    // So is BUILD without the cache's index.
    rmSync(path.join(cache, appCache, 'builds.json'))
    const again = await json<{fields: Record<string, string>}>(['source', 'fetch', `dmg:${short(versions['2246'])}`, path.join(tempDir(), 'out')], dir)
    expect(again.fields.BUILD).toBe('2246')
    expect(hockey.server.downloads(appId)).toEqual({'2246': 4, '2247': 3})
  })

  it('refuses, with one sentence and nothing recorded: a missing app, no builds, a bad or missing token, an unreachable API', async () => {
    const dir = await project()
    const before = commits(dir)
    const refused = async (args: string[], exitCode: number, message: RegExp, env: Env = {}, cwd = dir) => {
      const result = await dkt(args, cwd, env)
      expect(result.exitCode, result.stderr).toBe(exitCode)
      expect(result.stdout).toBe('')
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr.trim()).toMatch(message)
      expect(existsSync(path.join(cwd, '.dkt/sources/dmg.json'))).toBe(false)
    }
    const missing = randomBytes(16).toString('hex')
    await refused(['source', 'add', 'dmg', missing, '-k', 'hockeyapp'], 2, new RegExp(`^Error: HockeyApp app \`${missing}\` does not exist, or the token cannot see it \\(HockeyApp API ${hockey.server.url} answered 404 Not Found\\)$`))
    await refused(['source', 'add', 'dmg', app([]).appId, '-k', 'hockeyapp'], 2, /^Error: HockeyApp app `[0-9a-f]{32}` has no downloadable builds yet; upload one, then check again$/)
    const {appId} = app(['1'])
    await refused(['source', 'add', 'dmg', `${appId}:2.0`, '-k', 'hockeyapp'], 2, /has no downloadable builds of version 2\.0 yet/)
    await refused(['source', 'add', 'dmg', 'not an id', '-k', 'hockeyapp'], 2, /is not a HockeyApp App ID; expected an App ID or https:\/\/rink\.hockeyapp\.net\/manage\/apps\/APP_ID$/)
    const port = await freePort()
    await refused(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], 1, new RegExp(`^Error: cannot reach HockeyApp API http://127\\.0\\.0\\.1:${port}: connection refused$`), {DKT_HOCKEYAPP_URL: `http://127.0.0.1:${port}`})
    expect(commits(dir)).toBe(before)

    const badToken = await project('not-the-token')
    await refused(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], 1, /^Error: HockeyApp API http:\/\/127\.0\.0\.1:\d+ refused the credentials \(401 Unauthorized\); check the token in \.dkt\/secrets\/hockeyapp-token$/, {}, badToken)
    const noToken = await project(null)
    await refused(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], 1, /refused the credentials \(401 Unauthorized\); no HockeyApp token is set; create the project with `dkt init --hockeyapp-token T`/, {}, noToken)
    // The token only goes to the configured server: a URL elsewhere gets none, and the error says how to allow it.
    await refused(['source', 'add', 'dmg', `${hockey.server.url}/manage/apps/${appId}`, '-k', 'hockeyapp'], 1, /the HockeyApp token is only sent to https:\/\/rink\.hockeyapp\.net; run `dkt config set hockeyapp\.url http:\/\/127\.0\.0\.1:\d+`/, {DKT_HOCKEYAPP_URL: undefined})
    expect(commits(dir)).toBe(before)

    // A server that went away: update fails (exit 1) and records nothing.
    const gone = await startHockeyAppServer({token: TOKEN})
    const goneApp = gone.addApp()
    gone.publish(goneApp, {build: '1', content: dmg('1')})
    await ok(['source', 'add', 'dmg', goneApp, '-k', 'hockeyapp'], dir, {DKT_HOCKEYAPP_URL: gone.url})
    await gone.stop()
    const added = commits(dir)
    await refusedUpdate(dir, gone.url)
    expect(commits(dir)).toBe(added)
  })

  it('dkt scheduler --once picks up a new build and runs the node on it', async () => {
    const {appId, versions} = app(['10'])
    const dir = await project()
    await ok(['source', 'add', 'dmg', appId, '-k', 'hockeyapp'], dir)
    const seen = path.join(tempDir(), 'seen')
    await ok(['node', 'run', '--input', 'dmg', '--', 'sh', '-c', 'echo "$1" >> "$2"', 'sh', '${dmg:BUILD}', seen], dir)
    versions['11'] = publish(appId, '11')
    await ok(['scheduler', '--once'], dir)
    expect(readFileSync(seen, 'utf8')).toBe('10\n11\n')
    expect((await json<{info: Record<string, string>}[]>(['source', 'log', 'dmg'], dir))[0].info).toEqual({BUILD: '11'})
  })
})

describe('the hockeyapp token', () => {
  it('never reaches the metadata repository, stdout or stderr; it is sent to the API only, never to downloads', () => {
    expect(outputs.length).toBeGreaterThan(20)
    for (const result of outputs) {
      expect(result.stdout).not.toContain(TOKEN)
      expect(result.stderr).not.toContain(TOKEN)
    }
    for (const dir of projects) {
      const dkt = path.join(dir, '.dkt')
      expect(git(dkt, ['log', '-p', '--all', '--format=%H %s%n%b'])).not.toContain(TOKEN)
      expect(git(dkt, ['ls-files']).split('\n').filter((f) => /^(secrets|cache|config)/.test(f))).toEqual([])
    }
    const {requests} = hockey.server
    const listings = requests.filter((r) => r.path.endsWith('/app_versions'))
    expect(listings.filter((r) => r.token === TOKEN).length).toBeGreaterThan(5)
    expect(listings.every((r) => [undefined, TOKEN, 'not-the-token'].includes(r.token))).toBe(true)
    const downloads = requests.filter((r) => /\/app_versions\/\d+$/.test(r.path))
    expect(downloads.length).toBeGreaterThan(5)
    expect(downloads.every((r) => r.token === undefined)).toBe(true)
  })
})
