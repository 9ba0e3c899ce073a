// Worker labels: which nodes a scheduler may run, with the implicit `host:H` labels of path sources. Pure.
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

/** The implicit label of a machine: every scheduler has its own, and a node bound to a path source needs it. */
export const hostLabel = (host: string) => `host:${host}`

/** A source that ties a node to one machine: a path source that lives there (its definition's `host`). */
export interface HostBinding {
  host: string
  source: string
  access: 'reads' | 'writes'
}

/** The sources among a node's inputs and outputs that live on one host, inputs first. */
export function hostBindings(node: {inputs: string[]; outputs: string[]}, defs: {name: string; host?: string}[]): HostBinding[] {
  const hostOf = new Map(defs.flatMap((def) => (def.host ? [[def.name, def.host] as const] : [])))
  const bound = (names: string[], access: HostBinding['access']) =>
    [...new Set(names)].flatMap((source) => {
      const host = hostOf.get(source)
      return host ? [{host, source, access}] : []
    })
  return [...bound(node.inputs, 'reads'), ...bound(node.outputs, 'writes')]
}

/** A node's labels plus the `host:H` label of every host its sources tie it to (each once, after its own). */
export function effectiveLabels(labels: string[], bindings: HostBinding[]): string[] {
  return [...new Set([...labels, ...bindings.map((binding) => hostLabel(binding.host))])]
}

/** Whether a source can be read on machine `host`: one without a host (not a path source, or an older one) anywhere. */
export function livesOn(def: {host?: string}, host: string): boolean {
  return def.host === undefined || def.host === host
}

/** A worker's labels plus its implicit `host:H` label. */
export function withHostLabel(labels: string[], host: string): string[] {
  return labels.includes(hostLabel(host)) ? labels : [...labels, hostLabel(host)]
}
