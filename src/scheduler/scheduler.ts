// The scheduler: keeps sources up to date and runs every due node, in dependency order, up to a concurrency
// limit, as a worker for the nodes whose labels it has. Stops on request; cancels running runs on a second one.
import {AlreadyRunningError} from '../base/errors.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {RunRecord} from '../core/model/run.js'
import {executeRun} from '../core/node/execute.js'
import {recoverInterrupted} from '../core/node/recover.js'
import {GroupCommitter} from './commit-batch.js'
import {type NodeState, nodeState, nodeStates, runningNodes} from './due.js'
import {planRuns} from './plan.js'
import {type SourceEvent, SourceWatcher} from './sources.js'

export type SchedulerEvent =
  | SourceEvent
  | {type: 'recovered'; runs: RunRecord[]}
  | {type: 'run-started'; run: RunRecord}
  | {type: 'run-finished'; run: RunRecord; durationMs: number}
  | {type: 'run-error'; node: string; message: string}
  | {type: 'summary'; running: number; pending: number; waitingForLabels: number; done: number; failed: number}
  | {type: 'stopping'; running: number}

export interface SchedulerOptions {
  labels: string[]
  concurrency: number
  /** Run until nothing is due, then return. */
  once: boolean
  /** Polling interval for remote sources, in seconds (overrides the per-kind defaults). */
  intervalSeconds?: number
  dktVersion: string
  /** Aborted: start no new runs, wait for the running ones, return. */
  stop: AbortSignal
  /** Aborted: cancel the running runs (their process groups are killed; they are recorded `cancelled`). */
  cancel: AbortSignal
  onEvent: (event: SchedulerEvent) => void
}

export interface SchedulerResult {
  runs: RunRecord[]
  failed: number
}

export async function runScheduler(repo: MetaRepo, options: SchedulerOptions): Promise<SchedulerResult> {
  const finished: RunRecord[] = []
  // Nodes with a run in progress, until its record is committed (their outputs are not recorded before that).
  const running = new Map<string, Promise<void>>()
  // Runs whose command is still executing: what --concurrency limits. A run that has ended frees its slot while
  // its record waits for the next group commit, so quick runs are committed many at a time.
  const executing = new Set<string>()
  // Runs that could not start in this session (bad input): not retried until something changes their inputs.
  const rejected = new Set<string>()
  let errors = 0
  const failedCount = () => finished.filter((r) => r.status !== 'success').length + errors
  const committer = new GroupCommitter(repo)
  const maintain = repo.deferMaintenance()
  let wake: () => void = () => {}
  let dirty = true
  const poke = () => {
    dirty = true
    wake()
  }
  let refreshAfter: (sources: string[], node?: string) => void = () => {}
  const watcher = new SourceWatcher(repo, {
    intervalSeconds: options.intervalSeconds,
    onEvent: (event) => {
      if (event.type === 'version-found') refreshAfter([event.source])
      options.onEvent(event)
    },
    onChange: poke,
  })
  options.stop.addEventListener('abort', () => {
    options.onEvent({type: 'stopping', running: running.size})
    wake()
  })

  const recovered = await recoverInterrupted(repo, {now: new Date()})
  if (recovered.length > 0) options.onEvent({type: 'recovered', runs: recovered})
  const followed = await watcher.followed()
  await watcher.check(followed.map((def) => def.name))
  if (!options.once) await watcher.start(followed)

  const start = (nodeId: string, state: NodeState) => {
    const begun = Date.now()
    const task = executeRun(repo, state.node, {
      dktVersion: options.dktVersion,
      recorder: committer.runRecorder(() => {
        executing.delete(nodeId)
        poke()
      }),
      signal: options.cancel,
      onEvent: (event) => {
        if (event.type === 'run-started') options.onEvent({type: 'run-started', run: event.run})
      },
    })
      .then(({run, memoized}) => {
        refreshAfter(Object.keys(run.outputs), nodeId)
        if (memoized) return
        finished.push(run)
        options.onEvent({type: 'run-finished', run, durationMs: Date.now() - begun})
      })
      .catch((error: unknown) => {
        // Claimed by another worker meanwhile: that worker records it.
        if (error instanceof AlreadyRunningError) return
        errors++
        rejected.add(`${nodeId}:${state.key}`)
        refreshAfter([], nodeId)
        options.onEvent({type: 'run-error', node: nodeId, message: (error as Error).message})
      })
      .finally(() => {
        executing.delete(nodeId)
        running.delete(nodeId)
        poke()
      })
    executing.add(nodeId)
    running.set(nodeId, task)
  }

  // Node states are kept between planning rounds and refreshed only where something changed (a run finished,
  // a source got a new version): a full scan per finished run would make a big DAG quadratic. A full scan is
  // still made at start, when the set of nodes changes, and before concluding that nothing is due (another
  // worker may have changed things).
  let states = new Map<string, NodeState>()
  let fullScan = true
  let scannedFully = false
  const stale = new Set<string>()
  const consumersOf = (sources: string[]) => [...states.values()].filter((s) => s.inputs.some((input) => sources.includes(input))).map((s) => s.id)
  refreshAfter = (sources, node) => {
    if (node) stale.add(node)
    for (const id of consumersOf(sources)) stale.add(id)
  }
  try {
    for (;;) {
      if (dirty && !options.stop.aborted) {
        dirty = false
        const ids = await repo.listJson('nodes')
        if (fullScan || ids.length !== states.size || ids.some((id) => !states.has(id))) {
          states = new Map((await nodeStates(repo)).map((s) => [s.id, s]))
          fullScan = false
          scannedFully = true
          stale.clear()
        } else if (stale.size > 0) {
          const elsewhere = await runningNodes(repo)
          // A node with something upstream still due or running is refreshed once that settles: refreshing a
          // node with a thousand inputs after each of a thousand runs upstream would be quadratic.
          const producers = new Map<string, NodeState[]>()
          for (const state of states.values()) for (const out of state.outputs) producers.set(out, [...(producers.get(out) ?? []), state])
          // Read producers' states from `states`, which this loop updates: a producer refreshed a moment ago is
          // no longer due (a chain would otherwise fall back to a full scan per run).
          const busyUpstream = (state: NodeState) =>
            state.inputs.some((input) =>
              (producers.get(input) ?? []).some((p) => p.id !== state.id && (states.get(p.id)?.due || running.has(p.id))),
            )
          for (const id of [...stale]) {
            const current = states.get(id)
            if (current && busyUpstream(current)) continue
            stale.delete(id)
            const state = states.get(id)
            if (state) states.set(id, await nodeState(repo, state.node, elsewhere.has(id)))
          }
        }
        const plan = planRuns(
          [...states.values()].map((s) => ({...s, running: s.running || running.has(s.id)})),
          options.labels,
        )
        const ready = plan.ready.filter((id) => !rejected.has(`${id}:${states.get(id)?.key}`))
        for (const id of ready) {
          if (executing.size >= options.concurrency) break
          start(id, states.get(id) as NodeState)
        }
        options.onEvent({
          type: 'summary',
          running: running.size,
          pending: Math.max(0, ready.length + plan.waiting.length - running.size),
          waitingForLabels: plan.otherWorker.length,
          done: finished.length,
          failed: failedCount(),
        })
        if (running.size === 0 && ready.length === 0) {
          if (!scannedFully) {
            fullScan = true
            dirty = true
            continue
          }
          if (options.once) break
        }
        scannedFully = false
      }
      if (options.stop.aborted && running.size === 0) break
      await new Promise<void>((resolve) => {
        wake = resolve
        if (dirty && !options.stop.aborted) resolve()
      })
      wake = () => {}
    }
  } finally {
    await Promise.allSettled(running.values())
    await watcher.close()
    await committer.flush()
    // Housekeeping only: a failure here loses nothing, and the runs are recorded already.
    await maintain().catch(() => {})
  }
  return {runs: finished, failed: failedCount()}
}
