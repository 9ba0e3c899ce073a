// Worker labels: which nodes a scheduler may run. Pure.
import {arch, platform} from 'node:os'

/** A machine's default labels: its OS and CPU architecture, as `linux`, `x64`. */
export function defaultLabels(): string[] {
  return [platform(), arch()]
}

/** A worker runs a node when every label of the node is one of the worker's. */
export function satisfies(nodeLabels: string[], workerLabels: string[]): boolean {
  return nodeLabels.every((label) => workerLabels.includes(label))
}

export function missingLabels(nodeLabels: string[], workerLabels: string[]): string[] {
  return nodeLabels.filter((label) => !workerLabels.includes(label))
}
