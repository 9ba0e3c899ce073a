// The plan of `dkt apply` as terraform shows one: a line per source or node, `+` add, `~` change, `-` remove.
import type {PlanItem} from '../core/apply/plan.js'
import {shortId} from '../core/ids.js'

const SIGN = {add: '+', change: '~', remove: '-'}

/** Versions and IDs in their short form, as every table of dkt shows them. */
function shown(value: string | null): string {
  if (value === null) return '-'
  const version = /^(sha1|sha256|md5):([0-9a-f]{9,})$/.exec(value)
  return version ? `${version[1]}:${version[2].slice(0, 8)}` : value
}

function nodeLabel(item: PlanItem): string {
  const id = item.id ? shortId(item.id) : ''
  const name = item.name === item.id ? id : `${item.name}  ${id}`
  return item.previousId ? `${item.name === item.id ? shortId(item.previousId) : `${item.name}  ${shortId(item.previousId)}`} → ${id}` : name
}

export function planLine(item: PlanItem): string {
  const label = item.type === 'node' ? nodeLabel(item) : item.name
  const detail =
    item.action === 'change'
      ? item.changes.map((change) => `${change.field}: ${shown(change.from)} → ${shown(change.to)}`).join(', ')
      : `${item.summary ?? ''}${item.action === 'remove' && item.type === 'node' ? ' (its runs stay in the history)' : ''}`
  return `${SIGN[item.action]} ${item.type} ${label}${detail ? `  ${detail}` : ''}`
}

export function planSummary(counts: {add: number; change: number; remove: number}): string {
  return `Plan: ${counts.add} to add, ${counts.change} to change, ${counts.remove} to remove.`
}
