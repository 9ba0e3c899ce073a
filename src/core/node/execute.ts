// Executes one run of a node: materialize inputs and outputs, expand fields, run, publish outputs, record it all.
import {chmod, mkdir, rm, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import * as path from 'node:path'

import {runLocal} from '../../exec/local.js'
import type {OutputListener, RunOutcome} from '../../exec/outcome.js'
import type {Fields} from '../../kinds/driver.js'
import {compactJson} from '../../base/canonical-json.js'
import {AlreadyRunningError, DktError, EXIT_BAD_INPUT, InvalidArgumentError} from '../../base/errors.js'
import {runId, shortId} from '../ids.js'
import {expandArgv, type FieldValues, fieldEnvironment, rewriteShellText} from '../interpolate.js'
import type {MetaRepo, Transaction} from '../meta-repo.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import {RUN_FORMAT, type RunRecord, type RunStatus, runFile, runLogFile} from '../model/run.js'
import {versionsFile} from '../model/source.js'
import {redact} from '../../base/redact.js'
import {driverCache, lastObserved, loadSource, toSpec} from '../source/store.js'
import type {Version} from '../../base/version.js'
import {claimRun} from './claims.js'
import {CONTAINER_PATHS, planContainer} from './container.js'
import {loadRuns, requireInputs} from './store.js'

export type RunEvent =
  | {type: 'run-memoized'; run: RunRecord}
  | {type: 'run-started'; run: RunRecord}
  | {type: 'run-finished'; run: RunRecord}

export interface ExecuteOptions {
  /** Run even if a run on these inputs already succeeded (a new attempt). */
  force?: boolean
  /**
   * Record the node definition with the run's first commit if it is not recorded yet (`dkt node run`): a run
   * rejected before it starts then leaves no trace at all.
   */
  define?: boolean
  /**
   * Commit the run's `running` state when it starts (default). The scheduler only claims the run locally (see
   * claims.ts) and commits its final state through its own recorder, batched with other runs.
   */
  commitStart?: boolean
  /** Makes the final state of a run durable (one commit); resolves once it is. Default: its own commit. */
  recorder?: RunRecorder
  /** Called when the command (and its hook) has ended and its outputs are published, before it is recorded. */
  onExecuted?: () => void
  dktVersion: string
  now?: () => Date
  signal?: AbortSignal
  onOutput?: OutputListener
  onEvent?: (event: RunEvent) => void
}

export type RunRecorder = (message: string, apply: (tx: Transaction) => Promise<void>) => Promise<void>

export interface ExecuteResult {
  run: RunRecord
  /** True when nothing ran because a run on the same inputs had succeeded. */
  memoized: boolean
}

const SHELLS = /^#!\s*(\/usr)?\/bin\/(env\s+)?(sh|bash|dash|zsh|ksh)\b/

/** A stored script is a shell script unless its shebang names another interpreter. */
function isShellScript(content: string): boolean {
  return !content.startsWith('#!') || SHELLS.test(content)
}

function machine() {
  return {hostname: hostname(), os: process.platform, arch: process.arch}
}

/**
 * The program and argv to execute, with every field expanded safely (see core/interpolate.ts). A stored script is
 * written in `scriptDir`, which the command sees as `scriptDirSeen` (a container mount).
 */
async function commandLine(node: NodeDef, values: FieldValues, scriptDir: string, scriptDirSeen = scriptDir): Promise<{file: string; args: string[]}> {
  const args = expandArgv(node.command.slice(1), values)
  if (!node.script) {
    const [file] = expandArgv([node.command[0]], values)
    return {file, args}
  }
  const shell = isShellScript(node.script.content)
  const scriptFile = path.join(scriptDir, path.basename(node.script.path))
  await writeFile(scriptFile, shell ? rewriteShellText(node.script.content, values) : node.script.content)
  await chmod(scriptFile, 0o755)
  const seen = path.posix.join(scriptDirSeen, path.basename(node.script.path))
  return node.script.content.startsWith('#!') ? {file: seen, args} : {file: '/bin/sh', args: [seen, ...args]}
}

async function runHook(command: string, values: FieldValues, env: Record<string, string>, cwd: string, options: ExecuteOptions) {
  const outcome = await runLocal({
    file: '/bin/sh',
    args: ['-c', rewriteShellText(command, values)],
    cwd,
    env: {...env, ...fieldEnvironment({fields: {run: values.fields.run}, config: {}})},
    signal: options.signal,
    onOutput: options.onOutput,
  })
  return {outcome, record: {command, exitCode: outcome.exitCode}}
}

export async function executeRun(repo: MetaRepo, node: NodeDef, options: ExecuteOptions): Promise<ExecuteResult> {
  const now = options.now ?? (() => new Date())
  const inputs = await requireInputs(repo, node)
  const key = runId(node.id, inputs)
  const previous = (await loadRuns(repo, node.id)).filter((run) => run.key === key)
  const succeeded = previous.find((run) => run.status === 'success')
  const defineIn = async (tx: Transaction) => {
    if (options.define && !(await repo.readJson(nodeFile(node.id)))) tx.writeJson(nodeFile(node.id), node)
  }
  if (succeeded && !options.force) {
    // The node may have been removed and defined again: its definition is recorded, its runs were kept.
    await repo.transaction(`node add ${shortId(node.id)} (${node.command.join(' ')})`, defineIn)
    options.onEvent?.({type: 'run-memoized', run: succeeded})
    return {run: succeeded, memoized: true}
  }
  const attempt = previous.reduce((max, run) => Math.max(max, run.attempt), 0) + 1
  const id = runId(node.id, inputs, attempt)
  const record: RunRecord = {
    format: RUN_FORMAT,
    id,
    key,
    attempt,
    node: node.id,
    command: node.command,
    scriptDigest: node.script?.digest ?? null,
    image: node.image ?? null,
    labels: node.labels,
    inputs,
    outputs: {},
    status: 'running',
    exitCode: null,
    signal: null,
    reason: null,
    startedAt: now().toISOString(),
    endedAt: null,
    machine: machine(),
    dktVersion: options.dktVersion,
    hooks: {},
    outputTruncated: false,
  }
  const claim = await claimRun(repo.project, record)
  if ('heldBy' in claim) {
    throw new AlreadyRunningError(`run ${shortId(id)} of node ${shortId(node.id)} is already running (pid ${claim.heldBy.pid} on ${claim.heldBy.host})`)
  }
  // Another worker may have finished this very run between our first look and the claim.
  const done = options.force ? undefined : (await loadRuns(repo, node.id)).find((run) => run.key === key && run.status === 'success')
  if (done) {
    await claim.release()
    options.onEvent?.({type: 'run-memoized', run: done})
    return {run: done, memoized: true}
  }
  const workDir = path.join(repo.project.cacheDir, 'runs', id)
  await rm(workDir, {recursive: true, force: true})
  await mkdir(workDir, {recursive: true})
  const drivers = driverCache(repo)
  const {config, secrets} = await drivers.settings()
  const secretValues = [...Object.values(config), ...Object.values(secrets).filter((v): v is string => Boolean(v))]
  const finish = async (status: RunStatus, outcome: Partial<RunOutcome>, outputs: Record<string, Version>, log: string) => {
    const final: RunRecord = {
      ...record,
      status,
      outputs,
      exitCode: outcome.exitCode ?? null,
      signal: outcome.signal ?? null,
      reason: outcome.reason ? redact(outcome.reason, secretValues) : null,
      endedAt: now().toISOString(),
      outputTruncated: outcome.truncated ?? false,
    }
    const recorder: RunRecorder = options.recorder ?? (async (message, apply) => void (await repo.transaction(message, apply)))
    await recorder(`node run ${shortId(node.id)}: run ${shortId(id)} ${status}`, async (tx) => {
      await defineIn(tx)
      tx.writeJson(runFile(node.id, id), final)
      tx.writeText(runLogFile(node.id, id), redact(log, secretValues))
      for (const [name, version] of Object.entries(outputs)) {
        if ((await lastObserved(repo, name)) === version) continue
        tx.appendLine(versionsFile(name), compactJson({node: node.id, observed: final.endedAt, run: id, version}))
      }
    })
    options.onEvent?.({type: 'run-finished', run: final})
    return final
  }

  let started = false
  try {
    // Materialize every input at its version and every output for writing; expand the command. Nothing has run yet.
    const fields: Record<string, Fields> = {}
    // What publishing needs after the command, prepared (and checked writable) before it starts.
    const writers: {name: string; publish: () => Promise<Version>}[] = []
    for (const name of node.inputs) {
      const def = await loadSource(repo, name)
      const {driver, ctx} = await drivers.driverFor(def.kind)
      fields[name] = await driver.fetch(toSpec(def), inputs[name], path.join(workDir, 'in', name), ctx)
    }
    for (const name of node.outputs) {
      const def = await loadSource(repo, name)
      const {driver, ctx} = await drivers.driverFor(def.kind)
      const {prepareOutput, publish} = driver
      if (!prepareOutput || !publish) throw new InvalidArgumentError(`\`${name}\` is a ${def.kind} source, which a run cannot write`)
      const dir = path.join(workDir, 'out', name)
      fields[name] = await prepareOutput.call(driver, toSpec(def), dir, ctx)
      writers.push({name, publish: () => publish.call(driver, toSpec(def), dir, ctx, {message: `dkt run ${id}\n\nnode ${node.id}`})})
    }
    const values: FieldValues = {fields, config}
    const env = fieldEnvironment(values)
    // In a container the command sees its inputs and outputs at mount points; its image is resolved (pulled) and
    // recorded by digest before the run counts as started.
    const container = node.image
      ? await planContainer(node, values, workDir, {dockerToken: secrets['docker-token'], signal: options.signal})
      : undefined
    if (container) record.image = container.image
    const {file, args} = container
      ? await commandLine(node, container.values, container.scriptDir, CONTAINER_PATHS.script)
      : await commandLine(node, values, workDir)

    if (options.commitStart !== false) {
      await repo.transaction(`node run ${shortId(node.id)}: run ${shortId(id)} running`, async (tx) => {
        await defineIn(tx)
        tx.writeJson(runFile(node.id, id), record)
      })
    }
    started = true
    options.onEvent?.({type: 'run-started', run: record})
    const outcome = container
      ? await container.run({file, args, env: fieldEnvironment(container.values), signal: options.signal, onOutput: options.onOutput, runId: id})
      : await runLocal({file, args, cwd: repo.project.root, env, signal: options.signal, onOutput: options.onOutput})

    let status: RunStatus = outcome.status
    let reason = outcome.reason
    const outputs: Record<string, Version> = {}
    if (status === 'success') {
      try {
        for (const writer of writers) outputs[writer.name] = await writer.publish()
      } catch (error) {
        status = 'error'
        reason = `publishing the outputs failed: ${(error as Error).message}`
      }
    }
    let log = outcome.output
    const hook = status === 'success' ? node.onSuccess : status === 'failure' || status === 'error' ? node.onFailure : undefined
    if (hook) {
      const hookValues = {...values, fields: {...fields, run: {ID: id, STATUS: status}}}
      const {outcome: hookOutcome, record: hookRecord} = await runHook(hook, hookValues, env, repo.project.root, options)
      record.hooks = status === 'success' ? {onSuccess: hookRecord} : {onFailure: hookRecord}
      log += hookOutcome.output
    }
    options.onExecuted?.()
    const final = await finish(status, {...outcome, reason}, outputs, log)
    return {run: final, memoized: false}
  } catch (error) {
    // Bad input found before the command started changes nothing; any other failure is recorded as an `error` run.
    const badInput = error instanceof DktError && error.exitCode === EXIT_BAD_INPUT
    if (!(badInput && !started)) await finish('error', {reason: (error as Error).message.split('\n')[0]}, {}, '')
    throw error
  } finally {
    await rm(workDir, {recursive: true, force: true})
    await claim.release()
  }
}
