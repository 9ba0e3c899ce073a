// Human output: borderless tables with the seed's columns, short versions and `NAME*` for pinned sources.
import Table from 'cli-table3'

import type {SourceView} from '../core/source/store.js'
import type {Version} from '../base/version.js'

const NONE = '-'

/** `830 ms` under a second, `1.3 s` above: how long a run took. */
export function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** A table with no borders, columns two spaces apart, no trailing spaces. */
export function table(head: string[], rows: (string | null | undefined)[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 2},
  })
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined || cell === '' ? NONE : cell)))
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

export {commandText} from '../core/interpolate.js'
