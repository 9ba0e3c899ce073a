// The first phase of a run: every input materialized at its version, every output ready for writing, the command
// expanded (for its container when the node has an image). Nothing has run yet.
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import * as path from 'node:path'

import {InvalidArgumentError} from '../../base/errors.js'
import type {Version} from '../../base/version.js'
import {runLocal} from '../../exec/local.js'
import type {OutputListener, RunOutcome} from '../../exec/outcome.js'
import type {Fields} from '../../kinds/driver.js'
import {expandArgv, type FieldValues, fieldEnvironment, rewriteShellText} from '../interpolate.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import {describeVersion, type DriverCache, loadSource, toSpec} from '../source/store.js'
import {CONTAINER_PATHS, planContainer} from './container.js'

/** An output of the run, checked writable before the command starts; publishing it gives its new version. */
export interface OutputWriter {
  name: string
  /** The version published, with what its driver tells about it (recorded with the observation, as `source update` does). */
  publish(): Promise<{version: Version; info?: Record<string, string>}>
}

export interface PreparedRun {
  /** The field values of inputs and outputs on this machine (what a hook sees). */
  values: FieldValues
  /** The image the command runs in, as recorded (by digest); undefined for a local run. */
  image?: string
  writers: OutputWriter[]
  /** Runs the command, locally or in its container. */
  run(listeners: {signal?: AbortSignal; onOutput?: OutputListener}): Promise<RunOutcome>
}

export interface PrepareContext {
  /** The run's own scratch folder: inputs, outputs and the stored script are materialized in it. */
  workDir: string
  drivers: DriverCache
  config: Record<string, string>
  dockerToken?: string
  signal?: AbortSignal
}

const SHELLS = /^#!\s*(\/usr)?\/bin\/(env\s+)?(sh|bash|dash|zsh|ksh)\b/

/** A stored script is a shell script unless its shebang names another interpreter. */
function isShellScript(content: string): boolean {
  return !content.startsWith('#!') || SHELLS.test(content)
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
  // The run's scratch folder is made by what needs it (see execute.ts).
  await mkdir(scriptDir, {recursive: true})
  await writeFile(scriptFile, shell ? rewriteShellText(node.script.content, values) : node.script.content)
  await chmod(scriptFile, 0o755)
  const seen = path.posix.join(scriptDirSeen, path.basename(node.script.path))
  return node.script.content.startsWith('#!') ? {file: seen, args} : {file: '/bin/sh', args: [seen, ...args]}
}

/** Fetches every input at the run's version into the work folder, and prepares every output there for writing. */
async function materialize(repo: MetaRepo, node: NodeDef, run: RunRecord, context: PrepareContext) {
  const fields: Record<string, Fields> = {}
  const writers: OutputWriter[] = []
  for (const name of node.inputs) {
    const def = await loadSource(repo, name)
    const {driver, ctx} = await context.drivers.driverFor(def.kind)
    fields[name] = await driver.fetch(toSpec(def), run.inputs[name], path.join(context.workDir, 'in', name), ctx)
  }
  for (const name of node.outputs) {
    const def = await loadSource(repo, name)
    const {driver, ctx} = await context.drivers.driverFor(def.kind)
    const {prepareOutput, publish} = driver
    if (!prepareOutput || !publish) throw new InvalidArgumentError(`\`${name}\` is a ${def.kind} source, which a run cannot write`)
    const dir = path.join(context.workDir, 'out', name)
    fields[name] = await prepareOutput.call(driver, toSpec(def), dir, ctx)
    const spec = toSpec(def)
    const message = `dkt run ${run.id}\n\nnode ${node.id}`
    writers.push({
      name,
      publish: async () => {
        const version = await publish.call(driver, spec, dir, ctx, {message})
        return {version, info: await describeVersion(driver, spec, version, ctx)}
      },
    })
  }
  return {values: {fields, config: context.config}, writers}
}

export async function prepareRun(repo: MetaRepo, node: NodeDef, run: RunRecord, context: PrepareContext): Promise<PreparedRun> {
  const {values, writers} = await materialize(repo, node, run, context)
  if (!node.image) {
    const {file, args} = await commandLine(node, values, context.workDir)
    const env = fieldEnvironment(values)
    return {values, writers, run: (listeners) => runLocal({file, args, cwd: repo.project.root, env, ...listeners})}
  }
  // In a container the command sees its inputs and outputs at mount points; its image is resolved (pulled) and
  // recorded by digest before the run counts as started.
  const container = await planContainer(node, values, context.workDir, {dockerToken: context.dockerToken, signal: context.signal})
  const {file, args} = await commandLine(node, container.values, container.scriptDir, CONTAINER_PATHS.script)
  const env = fieldEnvironment(container.values)
  return {values, writers, image: container.image, run: (listeners) => container.run({file, args, env, ...listeners, runId: run.id})}
}
