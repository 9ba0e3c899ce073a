// Executes one run of a node in named phases: prepare (inputs, outputs, command), run the command, publish the
// outputs, finish (hook, record, report). A run that succeeded on the same inputs is reused instead.
import {existsSync, rmdirSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import * as path from 'node:path'

import {compactJson} from '../../base/canonical-json.js'
import {AlreadyRunningError, DktError, EXIT_BAD_INPUT} from '../../base/errors.js'
import {profiled} from '../../base/profile.js'
import {redact} from '../../base/redact.js'
import type {Version} from '../../base/version.js'
import {runLocal} from '../../exec/local.js'
import {CANCELLED_BY_USER, type OutputListener, type RunOutcome} from '../../exec/outcome.js'
import {commitStatusReporter} from '../commit-status/report.js'
import {runId, shortId} from '../ids.js'
import {type FieldValues, fieldEnvironment, rewriteShellText} from '../interpolate.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import {RUN_FORMAT, type RunRecord, runFile, runLogFile} from '../model/run.js'
import {versionsFile} from '../model/source.js'
import {driverCache, lastObserved} from '../source/store.js'
import {followCancelRequests} from './cancel.js'
import {claimRun} from './claims.js'
import {openLiveLog} from './live-log.js'
import {type OutputWriter, prepareRun} from './prepare.js'
import {commitEachState, type RunRecorder} from './recorder.js'
import type {RunReporter} from './run-reporter.js'
import {loadRuns, requireInputs} from './store.js'
import {machineName} from '../../base/host.js'

export type RunEvent =
  | {type: 'run-memoized'; run: RunRecord}
  | {type: 'run-started'; run: RunRecord}
  | {type: 'run-finished'; run: RunRecord}

export interface ExecuteOptions {
  /** Run even if a run on these inputs already succeeded (a new attempt). */
  force?: boolean
  /** The input versions to run on (a recorded run's, to try it again, or one ref's of a fanned-out node, see
   *  fan-out.ts); by default each input's current version. */
  inputs?: Record<string, Version>
  /** The ref those input versions are of, recorded in the manifest. */
  ref?: string
  /** Makes the run's states durable; by default one commit when it starts and one when it has ended. */
  recorder?: RunRecorder
  dktVersion: string
  now?: () => Date
  signal?: AbortSignal
  onOutput?: OutputListener
  onEvent?: (event: RunEvent) => void
  /** Set: the run's commit statuses are only queued, and this is told so (the caller sends them, see report.ts). */
  onStatusQueued?: () => void
  /**
   * Claims the run on a shared remote too (remote workers), after the local claim: undefined means another worker
   * has it (AlreadyRunningError); else a function called once the run is over (recorded or not).
   */
  remoteClaim?: (run: RunRecord) => Promise<(() => Promise<void>) | undefined>
}

export interface ExecuteResult {
  run: RunRecord
  /** True when nothing ran because a run on the same inputs had succeeded. */
  memoized: boolean
}

/** How a run ended, before it is recorded: the command's outcome, or only a status and a reason. */
type Ending = Partial<RunOutcome> & Pick<RunOutcome, 'status'>

/** What one execution needs in every phase after the claim. */
interface Execution {
  repo: MetaRepo
  node: NodeDef
  options: ExecuteOptions
  recorder: RunRecorder
  /** Tells the git host (commit statuses) when the run starts and how it ended. */
  reporter: RunReporter
  now: () => Date
  /** Private field values and secrets: redacted from what is recorded. */
  secretValues: string[]
}

/** The run to reuse instead of running again: one that succeeded on the same inputs, unless a new attempt is forced. */
export function reusableRun(runs: RunRecord[], key: string, force = false): RunRecord | undefined {
  return force ? undefined : runs.find((run) => run.key === key && run.status === 'success')
}

function reuse(run: RunRecord, options: ExecuteOptions): ExecuteResult {
  options.onEvent?.({type: 'run-memoized', run})
  return {run, memoized: true}
}

/** The record of a run about to start: the next attempt on these inputs after `previous`. */
function startingRecord(node: NodeDef, inputs: Record<string, Version>, previous: RunRecord[], options: ExecuteOptions): RunRecord {
  const key = runId(node.id, inputs)
  const attempt = previous.filter((run) => run.key === key).reduce((max, run) => Math.max(max, run.attempt), 0) + 1
  return {
    format: RUN_FORMAT,
    id: runId(node.id, inputs, attempt),
    key,
    attempt,
    node: node.id,
    command: node.command,
    scriptDigest: node.script?.digest ?? null,
    image: node.image ?? null,
    labels: node.labels,
    inputs,
    ...(options.ref === undefined ? {} : {ref: options.ref}),
    outputs: {},
    status: 'running',
    exitCode: null,
    signal: null,
    reason: null,
    startedAt: (options.now ?? (() => new Date()))().toISOString(),
    endedAt: null,
    machine: {hostname: machineName(), os: process.platform, arch: process.arch},
    dktVersion: options.dktVersion,
    hooks: {},
    outputTruncated: false,
  }
}

export async function executeRun(repo: MetaRepo, node: NodeDef, options: ExecuteOptions): Promise<ExecuteResult> {
  const inputs = options.inputs ?? (await requireInputs(repo, node))
  const key = runId(node.id, inputs)
  const previous = await loadRuns(repo, node.id)
  const reused = reusableRun(previous, key, options.force)
  if (reused) return reuse(reused, options)
  const run = startingRecord(node, inputs, previous, options)
  const claim = await profiled('claim', () => claimRun(repo.project, run))
  if ('heldBy' in claim) {
    const by = claim.heldBy ? ` (pid ${claim.heldBy.pid} on ${claim.heldBy.host})` : ''
    throw new AlreadyRunningError(`run ${shortId(run.id)} of node ${shortId(node.id)} is already running${by}`)
  }
  const remote = options.remoteClaim ? await options.remoteClaim(run).catch(async (error: unknown) => claim.release().then(() => Promise.reject(error))) : undefined
  if (options.remoteClaim && !remote) {
    await claim.release()
    throw new AlreadyRunningError(`run ${shortId(run.id)} of node ${shortId(node.id)} is claimed by another worker`)
  }
  // Cancelled by Ctrl-C, or by a request from another process (the web view's Cancel).
  const cancel = followCancelRequests(repo.project, run.id, options.signal)
  try {
    // Another worker may have finished this very run between our first look and the claim.
    const done = reusableRun(await loadRuns(repo, node.id), key, options.force)
    if (done) return reuse(done, options)
    return {run: await executeClaimed(repo, node, run, {...options, signal: cancel.signal}), memoized: false}
  } finally {
    cancel.stop()
    await claim.release()
    await remote?.()
  }
}

/** The phases of a claimed run, in its own scratch folder. */
async function executeClaimed(repo: MetaRepo, node: NodeDef, run: RunRecord, options: ExecuteOptions): Promise<RunRecord> {
  const workDir = path.join(repo.project.cacheDir, 'runs', run.id)
  await freshWorkDir(workDir)
  const drivers = driverCache(repo, {signal: options.signal})
  const {config, secrets} = await drivers.settings()
  const secretValues = [...Object.values(config), ...Object.values(secrets).filter((v): v is string => Boolean(v))]
  // The command's and the hook's output, as it comes, for the web view (redacted as the saved log is).
  const live = openLiveLog(repo.project, run.id, secretValues)
  options = {...options, onOutput: live.tee(options.onOutput)}
  const execution: Execution = {
    repo,
    node,
    options,
    recorder: options.recorder ?? commitEachState(repo),
    reporter: await commitStatusReporter(repo, node, {config, secrets, onQueued: options.onStatusQueued}),
    now: options.now ?? (() => new Date()),
    secretValues,
  }
  let running = run
  let started = false
  try {
    const prepared = await profiled('prepare', () => prepareRun(repo, node, run, {workDir, drivers, config, dockerToken: secrets['docker-token'], signal: options.signal}))
    running = {...run, image: prepared.image ?? run.image}
    await execution.recorder.start(running, async (tx) => tx.writeJson(runFile(node.id, run.id), running))
    started = true
    execution.reporter.started(running)
    options.onEvent?.({type: 'run-started', run: running})
    const outcome = await profiled('command', () => prepared.run({signal: options.signal, onOutput: options.onOutput}))
    const {ending, outputs} = await profiled('hash outputs', () => publishOutputs(outcome, prepared.writers, options.signal))
    return await finishRun(execution, running, ending, outputs, prepared.values)
  } catch (error) {
    // Bad input found before the command started changes nothing; any other failure is recorded as an `error` run.
    // Whoever catches the error reports it: a run-finished event would say it a second time.
    const badInput = error instanceof DktError && error.exitCode === EXIT_BAD_INPUT
    if (!(badInput && !started)) await recordEnd(execution, running, {status: 'error', reason: (error as Error).message.split('\n')[0]}, {}, '')
    throw error
  } finally {
    live.close()
    await removeWorkDir(workDir)
  }
}

// The scratch folder is made by what needs it (a driver fetching a copy, a script, a container): most runs never
// touch it (path sources are used in place), and making and removing a folder per run costs more than the rest of
// a trivial run's file work. Checked and removed synchronously: microseconds, where a recursive rm walks the thread
// pool; only a folder with content is removed so.
async function freshWorkDir(workDir: string): Promise<void> {
  // Left by a run that was killed.
  if (existsSync(workDir)) await rm(workDir, {recursive: true, force: true})
}

async function removeWorkDir(workDir: string): Promise<void> {
  try {
    rmdirSync(workDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') await rm(workDir, {recursive: true, force: true})
  }
}

/** Each output's new version, with what its driver tells about it. */
type Published = Record<string, {version: Version; info?: Record<string, string>}>

/**
 * Publishes every output of a successful command; a failure makes the run an error, keeping what was published, or
 * `cancelled` when Ctrl-C cut the publishing short.
 */
async function publishOutputs(outcome: RunOutcome, writers: OutputWriter[], signal?: AbortSignal): Promise<{ending: Ending; outputs: Published}> {
  const outputs: Published = {}
  if (outcome.status !== 'success') return {ending: outcome, outputs}
  try {
    for (const writer of writers) outputs[writer.name] = await writer.publish()
  } catch (error) {
    if (signal?.aborted) return {ending: {...outcome, status: 'cancelled', reason: CANCELLED_BY_USER}, outputs}
    return {ending: {...outcome, status: 'error', reason: `publishing the outputs failed: ${(error as Error).message}`}, outputs}
  }
  return {ending: outcome, outputs}
}

/** The last phase: the hook for how the run ended, then its final state recorded and reported. */
async function finishRun(execution: Execution, run: RunRecord, ending: Ending, outputs: Published, values: FieldValues): Promise<RunRecord> {
  const {node, options} = execution
  const {status} = ending
  const hook = status === 'success' ? node.onSuccess : status === 'failure' || status === 'error' ? node.onFailure : undefined
  let log = ending.output ?? ''
  let hooks: RunRecord['hooks'] = {}
  if (hook) {
    const hookValues = {...values, fields: {...values.fields, run: {ID: run.id, STATUS: status}}}
    const outcome = await runLocal({
      file: '/bin/sh',
      args: ['-c', rewriteShellText(hook, hookValues)],
      cwd: execution.repo.project.root,
      env: fieldEnvironment(hookValues),
      signal: options.signal,
      onOutput: options.onOutput,
    })
    const record = {command: hook, exitCode: outcome.exitCode}
    hooks = status === 'success' ? {onSuccess: record} : {onFailure: record}
    log += outcome.output
  }
  const final = await profiled('record', () => recordEnd(execution, {...run, hooks}, ending, outputs, log))
  options.onEvent?.({type: 'run-finished', run: final})
  return final
}

/** Makes the run's final state durable through the recorder, secrets redacted; new output versions are observed. */
async function recordEnd(execution: Execution, run: RunRecord, ending: Ending, outputs: Published, log: string): Promise<RunRecord> {
  const {repo, secretValues} = execution
  const final: RunRecord = {
    ...run,
    status: ending.status,
    outputs: Object.fromEntries(Object.entries(outputs).map(([name, {version}]) => [name, version])),
    exitCode: ending.exitCode ?? null,
    signal: ending.signal ?? null,
    reason: ending.reason ? redact(ending.reason, secretValues) : null,
    endedAt: execution.now().toISOString(),
    outputTruncated: ending.truncated ?? false,
  }
  await execution.recorder.finish(final, async (tx) => {
    tx.writeJson(runFile(final.node, final.id), final)
    tx.writeText(runLogFile(final.node, final.id), redact(log, secretValues))
    for (const [name, {version, info}] of Object.entries(outputs)) {
      if ((await lastObserved(repo, name)) === version) continue
      tx.appendLine(versionsFile(name), compactJson({info, node: final.node, observed: final.endedAt, run: final.id, version}))
    }
  })
  await execution.reporter.finished(final)
  return final
}
