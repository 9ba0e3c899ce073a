// The fleet as this clone sees it: the workers' heartbeats and claims mirrored from the metadata remote
// (`refs/dkt-remote/REMOTE/…`), fetched by `dkt workers`, read without the network by `dkt status`.
import {existsSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {RemoteUnreachableError} from '../../base/errors.js'
import {runGit} from '../../base/git-cli.js'
import {readConfig} from '../config.js'
import {withHostLabel} from '../labels.js'
import type {MetaRepo} from '../meta-repo.js'
import {cannotReach, REMOTE_SETTING, remoteName} from '../sync.js'
import {mirrorNamespace, mirrorRefspec, readSharedRefs, type RemoteClaim, type SharedRef, type WorkerBeat} from './shared-refs.js'

/** A worker as `dkt workers` and `dkt status` show it. */
export interface WorkerView {
  name: string
  host: string
  labels: string[]
  observe: boolean
  concurrency: number
  /** What its last beat says it runs. */
  running: WorkerBeat['running']
  /** The claims it holds on the remote (as of the mirror): what it runs for certain. */
  claims: {node: string; run: string; ref?: string; claimedAt: string}[]
  beatAt: string
  /** Seconds from its last beat (its clock) to now (this machine's clock): approximate across machines. */
  ageSeconds: number
  leaseSeconds: number
  /** `ageSeconds <= leaseSeconds`. */
  live: boolean
  startedAt: string
  pid: number
  dktVersion: string
}

export interface Fleet {
  remote: string
  workers: WorkerView[]
}

export interface FleetListing extends Fleet {
  /** Whether the mirror was fetched now; false with --no-fetch or when the remote could not be reached. */
  fetched: boolean
  /** When the remote could not be reached: why (the list is the mirror's last known state). */
  warning?: string
}

const DEFAULT_LEASE_SECONDS = 180

/** A worker's labels with its implicit `host:H` label: what a node's labels are matched against. Pure. */
export function workerLabelsOf(worker: Pick<WorkerView, 'labels' | 'host'>): string[] {
  return withHostLabel(worker.labels, worker.host)
}

function isBeat(value: unknown): value is WorkerBeat {
  const beat = value as WorkerBeat
  return typeof beat === 'object' && beat !== null && typeof beat.name === 'string' && Array.isArray(beat.labels) && !Number.isNaN(Date.parse(beat.beatAt))
}

/** The workers of the mirrored beats and claims, by name; live when their last beat is within their lease. Pure. */
export function fleetOf(beats: SharedRef<unknown>[], claims: SharedRef<RemoteClaim>[], now: Date): WorkerView[] {
  return beats
    .map((ref) => ref.value)
    .filter(isBeat)
    .map((beat) => {
      const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(beat.beatAt)) / 1000))
      const leaseSeconds = typeof beat.leaseSeconds === 'number' ? beat.leaseSeconds : DEFAULT_LEASE_SECONDS
      const held = claims.filter((claim) => claim.value?.worker === beat.name)
      return {
        name: beat.name,
        host: beat.host ?? '',
        labels: beat.labels,
        observe: beat.observe === true,
        concurrency: beat.concurrency ?? 1,
        running: beat.running ?? [],
        claims: held.map(({value}) => ({node: value.node, run: value.run?.id ?? '', ...(value.ref ? {ref: value.ref} : {}), claimedAt: value.claimedAt})),
        beatAt: beat.beatAt,
        ageSeconds,
        leaseSeconds,
        live: ageSeconds <= leaseSeconds,
        startedAt: beat.startedAt ?? beat.beatAt,
        pid: beat.pid ?? 0,
        dktVersion: beat.dktVersion ?? '',
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** Where a successful fetch of the mirror is remembered: a fleet with no worker is still a known fleet. */
const fetchedMarker = (repo: MetaRepo, remote: string) => path.join(repo.dir, '.git', 'dkt-mirror', `${remote}.fetched`)

async function readMirror(repo: MetaRepo, remote: string, now: Date): Promise<Fleet | undefined> {
  const gitDir = path.join(repo.dir, '.git')
  const [beats, claims] = await Promise.all([
    readSharedRefs<unknown>(gitDir, `${mirrorNamespace(remote)}workers/`),
    readSharedRefs<RemoteClaim>(gitDir, `${mirrorNamespace(remote)}claims/`),
  ])
  // No mirrored ref and no fetch remembered: nothing is known of this remote's workers.
  if (beats.length === 0 && claims.length === 0 && !existsSync(fetchedMarker(repo, remote))) return undefined
  return {remote, workers: fleetOf(beats, claims, now)}
}

/** One `git fetch --prune` of the remote's shared refs into the mirror; the reason it failed, or undefined. */
async function fetchMirror(repo: MetaRepo, remote: string): Promise<string | undefined> {
  const result = await runGit(['fetch', '-q', '--prune', '--no-tags', remote, mirrorRefspec(remote)], {cwd: repo.dir, allowFailure: true})
  if (result.exitCode !== 0) return cannotReach(repo, remote, result.stderr)
  const marker = fetchedMarker(repo, remote)
  await fs.mkdir(path.dirname(marker), {recursive: true})
  await fs.writeFile(marker, `${new Date().toISOString()}\n`)
  return undefined
}

/** `dkt workers`: the fleet of a remote, fetched first unless `fetch` is false (then, or when unreachable, the mirror). */
export async function listWorkers(repo: MetaRepo, options: {remote?: string; fetch: boolean; now: Date}): Promise<FleetListing> {
  const remote = await remoteName(repo, options.remote)
  const warning = options.fetch ? await fetchMirror(repo, remote) : undefined
  const fleet = await readMirror(repo, remote, options.now)
  if (!fleet) {
    const how = options.fetch ? `${warning}, and no list of its workers was fetched before` : `no list of the workers of \`${remote}\` was fetched yet; run \`dkt workers\` without --no-fetch`
    throw new RemoteUnreachableError(how, {data: {remote}})
  }
  return {...fleet, fetched: options.fetch && warning === undefined, ...(warning ? {warning: `${warning}; showing the workers as last fetched`} : {})}
}

/** The fleet of the project's remote (`sync.remote`, else `origin`) as last mirrored; undefined without one. No network. */
export async function mirroredFleet(repo: MetaRepo, now: Date): Promise<Fleet | undefined> {
  const remote = (await readConfig(repo.project))[REMOTE_SETTING] ?? 'origin'
  const remotes = (await repo.git(['remote'])).split('\n').filter(Boolean)
  return remotes.includes(remote) ? readMirror(repo, remote, now) : undefined
}
