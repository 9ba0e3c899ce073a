// What `dkt apply` would change: the difference between the project's sources and nodes and those a pipeline file
// describes, as terraform's plan lists it (add, change with the changed fields, remove). Pure.
import type {NodeDef} from '../model/node.js'
import type {SourceDef} from '../model/source.js'

/** A desired path source that is created as a new temporary folder when the plan is applied (no location given). */
export const NEW_TEMPORARY_FOLDER = ''

export interface PipelineState {
  sources: SourceDef[]
  nodes: NodeDef[]
}

export interface FieldChange {
  field: string
  from: string | null
  to: string | null
}

export interface PlanItem {
  action: 'add' | 'change' | 'remove'
  type: 'source' | 'node'
  /** The source's name; the node's name, or its ID when it has none (a node made by `dkt node run`). */
  name: string
  /** Nodes: the ID after the change (for a removal, the ID removed). */
  id: string | null
  /** Nodes: the ID before a change that gives the node a new ID (its definition changed); else null. */
  previousId: string | null
  /** Add and remove: what the item is (`git https://…`, the command); change: null. */
  summary: string | null
  changes: FieldChange[]
}

const text = (value: string | string[] | boolean | undefined): string | null => {
  if (value === undefined || value === false) return null
  if (Array.isArray(value)) return value.length === 0 ? null : value.join(',')
  return String(value)
}

function changesOf(fields: [string, string | null, string | null][]): FieldChange[] {
  return fields.filter(([, from, to]) => from !== to).map(([field, from, to]) => ({field, from, to}))
}

function sourceFields(def: SourceDef): Record<string, string | null> {
  return {
    kind: def.kind,
    location: def.location === NEW_TEMPORARY_FOLDER ? null : def.location,
    tag: text(def.tag),
    path: text(def.path),
    from: text(def.parent),
    pin: text(def.pin),
    paused: text(def.paused),
    host: text(def.host),
  }
}

function nodeFields(node: NodeDef): Record<string, string | null> {
  return {
    name: text(node.name),
    command: node.command.join(' '),
    script: node.script ? `${node.script.path}@${node.script.digest.slice(0, 8)}` : null,
    labels: text(node.labels),
    inputs: text(node.inputs),
    outputs: text(node.outputs),
    image: text(node.image),
    network: text(node.network),
    'on-success': text(node.onSuccess),
    'on-failure': text(node.onFailure),
  }
}

function diffFields(before: Record<string, string | null>, after: Record<string, string | null>): FieldChange[] {
  return changesOf(Object.keys(after).map((field) => [field, before[field], after[field]]))
}

function sourceSummary(def: SourceDef): string {
  if (def.parent) return `${def.kind} from ${def.parent}${def.path ? `, path ${def.path}` : ''}`
  const where = def.location === NEW_TEMPORARY_FOLDER ? 'a new temporary folder' : def.location
  return `${def.kind} ${where}${def.tag ? `:${def.tag}` : ''}${def.path ? `, path ${def.path}` : ''}`
}

function planSources(current: SourceDef[], desired: SourceDef[]): PlanItem[] {
  const before = new Map(current.map((def) => [def.name, def]))
  const after = new Map(desired.map((def) => [def.name, def]))
  const items: PlanItem[] = []
  const item = (action: PlanItem['action'], name: string, summary: string | null, changes: FieldChange[]): PlanItem => ({
    action, type: 'source', name, id: null, previousId: null, summary, changes,
  })
  for (const def of desired) {
    const old = before.get(def.name)
    if (!old) items.push(item('add', def.name, sourceSummary(def), []))
    else {
      const changes = diffFields(sourceFields(old), sourceFields(def))
      if (changes.length > 0) items.push(item('change', def.name, null, changes))
    }
  }
  for (const def of current) if (!after.has(def.name)) items.push(item('remove', def.name, sourceSummary(def), []))
  return items
}

/**
 * Nodes are matched first by ID (the same definition: at most its name changes), then by name (a changed
 * definition, so a new ID). What is left of the file is added; what is left of the project is removed.
 */
function planNodes(current: NodeDef[], desired: NodeDef[]): PlanItem[] {
  const unmatched = new Map(current.map((node) => [node.id, node]))
  const pairs: [NodeDef | undefined, NodeDef][] = []
  const rest: NodeDef[] = []
  for (const node of desired) {
    const same = unmatched.get(node.id)
    if (same) {
      unmatched.delete(node.id)
      pairs.push([same, node])
    } else rest.push(node)
  }
  for (const node of rest) {
    const named = [...unmatched.values()].find((old) => old.name !== undefined && old.name === node.name)
    if (named) unmatched.delete(named.id)
    pairs.push([named, node])
  }
  const items: PlanItem[] = []
  for (const [old, node] of pairs) {
    const name = node.name ?? node.id
    if (!old) items.push({action: 'add', type: 'node', name, id: node.id, previousId: null, summary: node.command.join(' '), changes: []})
    else {
      const changes = diffFields(nodeFields(old), nodeFields(node))
      const previousId = old.id === node.id ? null : old.id
      if (changes.length > 0 || previousId) items.push({action: 'change', type: 'node', name, id: node.id, previousId, summary: null, changes})
    }
  }
  for (const old of unmatched.values()) {
    items.push({action: 'remove', type: 'node', name: old.name ?? old.id, id: old.id, previousId: null, summary: old.command.join(' '), changes: []})
  }
  return items
}

const ORDER = {add: 0, change: 1, remove: 2}

/** The changes that make `current` match `desired`: sources, then nodes; by name within each; empty if none. */
export function planPipeline(current: PipelineState, desired: PipelineState): PlanItem[] {
  const byName = (a: PlanItem, b: PlanItem) => (a.name < b.name ? -1 : a.name > b.name ? 1 : ORDER[a.action] - ORDER[b.action])
  return [...planSources(current.sources, desired.sources).sort(byName), ...planNodes(current.nodes, desired.nodes).sort(byName)]
}

export function planCounts(items: PlanItem[]): {add: number; change: number; remove: number} {
  const count = (action: PlanItem['action']) => items.filter((item) => item.action === action).length
  return {add: count('add'), change: count('change'), remove: count('remove')}
}
