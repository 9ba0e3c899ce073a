// A node's run in a container: its image resolved by digest, inputs mounted read-only, outputs read-write, and
// `${NAME:ROOT}` pointing at the mounts.
import {mkdir} from 'node:fs/promises'
import * as path from 'node:path'

import {type ContainerMount, resolveImage, runContainer} from '../../exec/container.js'
import type {OutputListener, RunOutcome} from '../../exec/outcome.js'
import type {FieldValues} from '../interpolate.js'
import type {NodeDef} from '../model/node.js'

/** Where things are inside the container. */
export const CONTAINER_PATHS = {
  input: (name: string) => `/dkt/in/${name}`,
  output: (name: string) => `/dkt/out/${name}`,
  script: '/dkt/script',
  work: '/dkt/work',
}

export interface ContainerPlan {
  /** The field values the command sees: every ROOT is a container path, other fields are unchanged. */
  values: FieldValues
  /** Host folder to write the stored script in; mounted read-only at CONTAINER_PATHS.script. */
  scriptDir: string
  /** Recorded in the run manifest: `repo@sha256:…`, or the image ID for an image no registry knows. */
  image: string
  run(command: {file: string; args: string[]; env: Record<string, string>; signal?: AbortSignal; onOutput?: OutputListener; runId: string}): Promise<RunOutcome>
}

/**
 * Resolves the node's image (pulling it if the engine lacks it) and maps its inputs and outputs into the
 * container. An image that is a docker source is one of the node's inputs: its fetched IMAGE (`repo@sha256:…`)
 * is the pinned image to run.
 */
export async function planContainer(
  node: NodeDef,
  values: FieldValues,
  workDir: string,
  options: {dockerToken?: string; signal?: AbortSignal},
): Promise<ContainerPlan> {
  const imageName = node.image as string
  const fromSource = node.inputs.includes(imageName) ? values.fields[imageName]?.IMAGE : undefined
  const image = await resolveImage(fromSource ?? imageName, {token: options.dockerToken}, options.signal)

  const mounts: ContainerMount[] = []
  const fields: FieldValues['fields'] = {}
  const mapRoot = (name: string, target: string, readOnly: boolean) => {
    const own = values.fields[name] ?? {}
    fields[name] = {...own}
    if (own.ROOT === undefined) return
    mounts.push({source: own.ROOT, target, readOnly})
    fields[name].ROOT = target
  }
  for (const name of node.inputs) mapRoot(name, CONTAINER_PATHS.input(name), true)
  for (const name of node.outputs) mapRoot(name, CONTAINER_PATHS.output(name), false)

  const scriptDir = path.join(workDir, 'script')
  const scratch = path.join(workDir, 'work')
  await mkdir(scriptDir, {recursive: true})
  await mkdir(scratch, {recursive: true})
  mounts.push({source: scriptDir, target: CONTAINER_PATHS.script, readOnly: true}, {source: scratch, target: CONTAINER_PATHS.work, readOnly: false})

  // The invoking user's uid:gid, so that files written to outputs belong to the user, not to root.
  const user = process.getuid && process.getgid ? `${process.getuid()}:${process.getgid()}` : undefined
  return {
    values: {...values, fields},
    scriptDir,
    image: image.digest,
    run: (command) =>
      runContainer({
        image: image.id,
        file: command.file,
        args: command.args,
        workingDir: CONTAINER_PATHS.work,
        env: command.env,
        mounts,
        network: node.network,
        user,
        labels: {'dkt.node': node.id, 'dkt.run': command.runId},
        signal: command.signal,
        onOutput: command.onOutput,
      }),
  }
}
