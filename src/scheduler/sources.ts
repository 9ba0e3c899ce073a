// Keeps sources up to date while the scheduler runs: local ones (path, local git) by watching the filesystem,
// debounced; remote ones by polling on a per-kind interval, with exponential backoff when they cannot be reached.
import * as path from 'node:path'

import type {DktError} from '../base/errors.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {SourceDef} from '../core/model/source.js'
import {type DriverCache, driverCache, findSource, loadAllSources, toSpec} from '../core/source/store.js'
import {type UpdateResult, updateSources} from '../core/source/update.js'
import {recordChecks} from '../core/source/checks.js'
import type {Version} from '../base/version.js'
import {declarationOf} from '../kinds/registry.js'
import {backoffDelay} from '../base/backoff.js'
import {machineName} from '../base/host.js'
import {livesOn} from '../core/labels.js'

const BACKOFF_CAP_MS = 3_600_000
const DEBOUNCE_MS = 300

export type SourceEvent =
  /** `ref`: for a TAG pattern source, the ref (full name) that is new or moved. */
  | {type: 'version-found'; source: string; version: Version; previous: Version | null; ref?: string}
  /** A ref of a TAG pattern source the remote no longer lists: it is not followed any more. */
  | {type: 'ref-gone'; source: string; ref: string; version: Version}
  | {type: 'source-error'; source: string; message: string; retryInSeconds: number}

/** Unpaused, unpinned, and living here (a path source of another machine is followed there). */
const isFollowed = (def: SourceDef) => !def.paused && !def.pin && livesOn(def, machineName())

/** The files whose changes mean a new version of a local source, as its driver declares; undefined: poll it. */
async function watchedPaths(def: SourceDef, drivers: DriverCache): Promise<string[] | undefined> {
  const {driver, ctx} = await drivers.driverFor(def.kind)
  return driver.watchedPaths?.(toSpec(def), ctx)
}

/** Seconds between two checks of a polled source: `scheduler.poll.KIND` in `.dkt/config`, else what its kind declares. */
function pollSeconds(def: SourceDef, settings: Record<string, string>): number {
  return Number(settings[`scheduler.poll.${def.kind}`] ?? declarationOf(def.kind).pollSeconds)
}

/** What a changed source tells: its new version, or each ref that is new, moved or gone. */
function versionEvents(result: UpdateResult): SourceEvent[] {
  if (!result.refs) return [{type: 'version-found', source: result.name, version: result.version as Version, previous: result.previous}]
  return result.refs
    .filter((update) => update.changed)
    .map((update) =>
      update.version
        ? {type: 'version-found', source: result.name, version: update.version, previous: update.previous, ref: update.ref}
        : {type: 'ref-gone', source: result.name, ref: update.ref, version: update.previous as Version},
    )
}

export class SourceWatcher {
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly failures = new Map<string, number>()
  private closeWatcher: (() => Promise<void>) | undefined
  private closed = false
  /** Serializes checks so that two watchers firing at once do not race for the same source. */
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly repo: MetaRepo,
    private readonly options: {
      intervalSeconds?: number
      /** False: remote sources are polled by another worker (`--no-observe`); only `path` sources are followed. */
      observeRemote?: () => boolean
      onEvent: (event: SourceEvent) => void
      onChange: () => void
    },
  ) {}

  private readonly follows = (def: SourceDef) => isFollowed(def) && (def.kind === 'path' || this.options.observeRemote?.() !== false)

  /** The sources the scheduler follows: unpaused, unpinned, not living on another machine, and remote ones only when observing. */
  async followed(): Promise<SourceDef[]> {
    return (await loadAllSources(this.repo)).filter(this.follows)
  }

  /** Which of these sources it follows (reading only theirs). */
  async followedAmong(names: string[]): Promise<string[]> {
    const defs = await Promise.all(names.map((name) => findSource(this.repo, name)))
    return defs.filter((def): def is SourceDef => def !== undefined && this.follows(def)).map((def) => def.name)
  }

  /**
   * Checks the given sources now; reports new versions and failures (with the backoff before the next try). `defs`:
   * their definitions, if just read.
   */
  check(names: string[], defs?: SourceDef[]): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed || names.length === 0) return
      const now = new Date()
      const {results, failures} = await updateSources(this.repo, {names, now, defs})
      let changed = false
      for (const result of results) {
        this.failures.delete(result.name)
        if (result.changed) {
          changed = true
          for (const event of versionEvents(result)) this.options.onEvent(event)
        }
      }
      const retries = failures.map((failure) => ({name: failure.name, failure: {message: failure.error.message, retryAt: new Date(now.getTime() + this.fail(failure.name, failure.error))}}))
      // For the web view; a cache that cannot be written must not stop the checks.
      await recordChecks(this.repo, now, [...results.map((result) => ({name: result.name})), ...retries]).catch(() => {})
      if (changed) this.options.onChange()
    })
    this.queue = run.catch(() => {})
    return run
  }

  /** Reports a failed check and schedules the next one; returns the delay before it (ms). */
  private fail(name: string, error: DktError): number {
    const failures = (this.failures.get(name) ?? 0) + 1
    this.failures.set(name, failures)
    const delay = backoffDelay(failures, 5_000, BACKOFF_CAP_MS)
    this.options.onEvent({type: 'source-error', source: name, message: error.message, retryInSeconds: Math.round(delay / 1000)})
    this.schedule(() => this.check([name]), delay)
    return delay
  }

  private schedule(fn: () => Promise<void>, delayMs: number): void {
    if (this.closed) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void fn()
    }, delayMs)
    this.timers.add(timer)
  }

  /** Starts watching the given (followed) local sources and polling the remote ones. */
  async start(defs: SourceDef[]): Promise<void> {
    const drivers = driverCache(this.repo)
    const {config} = await drivers.settings()
    const local = new Map<string, string[]>()
    for (const def of defs) {
      const paths = await watchedPaths(def, drivers)
      if (paths) local.set(def.name, paths)
      else {
        const seconds = this.options.intervalSeconds ?? pollSeconds(def, config)
        const poll = async () => {
          if (!this.failures.has(def.name)) await this.check([def.name])
          this.schedule(poll, seconds * 1000)
        }
        this.schedule(poll, seconds * 1000)
      }
    }
    if (local.size === 0) return
    const {watch} = await import('chokidar')
    const owners = new Map<string, string>()
    for (const [name, paths] of local) for (const p of paths) owners.set(path.resolve(p), name)
    const debounce = new Map<string, NodeJS.Timeout>()
    const watcher = watch([...owners.keys()], {
      ignoreInitial: true,
      // dkt's own metadata inside a watched folder changes on every command: never a new version.
      ignored: (file: string) => file.split(path.sep).includes('.dkt'),
    })
    const touched = (file: string) => {
      const resolved = path.resolve(file)
      for (const [root, name] of owners) {
        if (resolved === root || resolved.startsWith(`${root}${path.sep}`)) {
          clearTimeout(debounce.get(name))
          debounce.set(name, setTimeout(() => void this.check([name]), DEBOUNCE_MS))
        }
      }
    }
    watcher.on('all', (_event, file) => touched(file))
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
    this.closeWatcher = async () => {
      for (const timer of debounce.values()) clearTimeout(timer)
      await watcher.close()
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await this.closeWatcher?.()
    await this.queue
  }
}
