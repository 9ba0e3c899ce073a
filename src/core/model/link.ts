// An out-of-band relation between two source versions (`links/ID.json`), e.g. pinata:3dd2cc1d → dmg:0e500a4e.
import {createHash} from 'node:crypto'

import {compactJson} from '../../base/canonical-json.js'
import type {Version} from '../../base/version.js'

export interface VersionRef {
  source: string
  version: Version
}

export interface LinkDef {
  format: number
  from: VersionRef
  to: VersionRef
}

/** Deterministic: the same link recorded in two clones is the same file, so they merge cleanly. */
export function linkId(from: VersionRef, to: VersionRef): string {
  return createHash('sha256').update(compactJson({from, to})).digest('hex').slice(0, 16)
}

export const linkFile = (id: string) => `links/${id}.json`
