// Human output: borderless tables with the seed's columns, short versions and `NAME*` for pinned sources.
import Table from 'cli-table3'

import type {SourceView} from '../core/source/store.js'
import type {Version} from '../base/version.js'

const NONE = '-'

/** `830 ms` under a second, `1.3 s` above: how long a run took. */
export function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** Printable ASCII on one line: a cell whose width is its length. */
const PLAIN_CELL = /^[\x20-\x7e]*$/

/** A table with no borders, columns two spaces apart, no trailing spaces. */
export function table(head: string[], rows: (string | null | undefined)[][]): string {
  const lines = [head, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? NONE : cell)))]
  // cli-table3 spends tens of microseconds a cell (a log of 1,600 versions: a third of a second); plain cells are
  // laid out here, exactly as it would.
  const plain = lines.every((line) => line.length === head.length && line.every((cell) => PLAIN_CELL.test(cell)))
  return plain ? plainTable(lines) : cliTable3(lines)
}

function plainTable(lines: string[][]): string {
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)))
  return lines.map((line) => line.map((cell, column) => cell.padEnd(widths[column] + 2)).join('').trimEnd()).join('\n')
}

/** cli-table3's layout of a head line and rows: wide characters, multi-line cells. */
export function cliTable3([head, ...rows]: string[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 2},
  })
  for (const row of rows) t.push(row)
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}

export function shortId(version: Version | string): string {
  return version.slice(version.indexOf(':') + 1, version.indexOf(':') + 9)
}

export function sourceRow(source: SourceView): string[] {
  return [source.name, source.kind, source.location, source.tag ?? NONE, source.path ?? NONE]
}

export const SOURCE_HEAD = ['NAME', 'KIND', 'LOCATION', 'TAG', 'PATH']

export function pinnedName(source: {name: string; pinned: boolean}): string {
  return source.pinned ? `${source.name}*` : source.name
}

/** A source's lines in `source list`: its own, then one per ref a TAG pattern follows (pinned refs carry `*`). */
export function sourceRows(source: SourceView & {goneRefs?: {ref: string}[]}): (string | null)[][] {
  const refs = (source.refs ?? []).map((ref) => [`  ${ref.ref}${ref.pinned ? '*' : ''}`, ref.latest])
  // A ref deleted upstream: `gone`, as `source update` shows it.
  const gone = (source.goneRefs ?? []).map((ref) => [`  ${ref.ref}`, 'gone'])
  return [[pinnedName(source), source.latest], ...refs, ...gone]
}

/** A source's line in `source list --refs`: the number of refs a TAG pattern follows (`-` for other sources). */
export function refCountRow(source: SourceView): (string | null)[] {
  return [pinnedName(source), source.latest, source.refs ? String(source.refs.length) : null]
}

export {commandText} from '../core/interpolate.js'
