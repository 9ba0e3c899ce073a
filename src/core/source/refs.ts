// The refs a TAG pattern source follows, read from its observations (each ref's last version, pin, and whether the
// remote still lists it), and what a new listing of the remote changes. The rules are pure.
import {InvalidArgumentError} from '../../base/errors.js'
import type {Version} from '../../base/version.js'
import {findRef, isRefPattern} from '../../kinds/ref-pattern.js'
import type {Observation, SourceDef} from '../model/source.js'
import {mergeStableObservations} from './observations.js'

/** Whether a source follows every ref its TAG pattern matches (rather than one branch or tag). */
export function isPatternSource(def: Pick<SourceDef, 'tag'>): boolean {
  return isRefPattern(def.tag)
}

/** What is known of one ref of a pattern source. */
export interface RefState {
  /** Full ref name (`refs/heads/main`). */
  ref: string
  /** Its last observed version (for a gone ref: the one it had when it went). */
  version: Version
  /** The version runs read: its pin, else `version`. */
  current: Version
  pinned: boolean
  /** The remote no longer lists it: it is not followed any more. */
  gone: boolean
  observed: string
}

/** Every ref the observations name, sorted by name, gone ones included. Pure. */
export function refStates(def: Pick<SourceDef, 'pins'>, observations: Observation[]): RefState[] {
  const last = new Map<string, Observation>()
  // By time, not by line: a union merge of two clones' appends reorders lines.
  for (const observation of mergeStableObservations(observations)) if (observation.ref) last.set(observation.ref, observation)
  return [...last.values()]
    .map(({ref, version, gone, observed}) => {
      const pin = def.pins?.[ref as string]
      return {ref: ref as string, version, current: pin ?? version, pinned: pin !== undefined, gone: gone === true, observed}
    })
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))
}

/** The refs runs follow now (not gone): full ref name → the version they read (pin, else latest). Pure. */
export function followedRefs(states: RefState[]): Record<string, Version> {
  return Object.fromEntries(states.filter((state) => !state.gone).map((state) => [state.ref, state.current]))
}

/** One ref after a check: its previous and new latest version; a null version means the ref is gone. */
export interface RefUpdate {
  ref: string
  previous: Version | null
  version: Version | null
  changed: boolean
}

/** What a listing of the remote (`latest`, by ref) changes for the followed refs: new, moved, gone, unchanged. Pure. */
export function refUpdates(states: RefState[], latest: Record<string, Version>): RefUpdate[] {
  const live = new Map(states.filter((state) => !state.gone).map((state) => [state.ref, state.version]))
  const refs = [...new Set([...live.keys(), ...Object.keys(latest)])].sort()
  return refs.map((ref) => {
    const previous = live.get(ref) ?? null
    const version = latest[ref] ?? null
    return {ref, previous, version, changed: previous !== version}
  })
}

/** The observations that record ref updates: a version per new or moved ref, a `gone` line per deleted one. Pure. */
export function refObservations(updates: RefUpdate[], observed: string, info: (update: RefUpdate) => Record<string, string> | undefined): Observation[] {
  return updates
    .filter((update) => update.changed)
    .map((update) =>
      update.version === null
        ? {observed, ref: update.ref, version: update.previous as Version, gone: true as const}
        : {observed, ref: update.ref, version: update.version, info: info(update)},
    )
}

/** The full name of the ref `text` names (`main`, `v1.0`, `pull/3`, `refs/heads/main`) among a pattern source's refs. */
export function resolveRef(def: SourceDef, states: RefState[], text: string): string {
  if (!isPatternSource(def)) {
    throw new InvalidArgumentError(`source \`${def.name}\` follows one ref (${def.tag ?? 'no TAG'}); --ref needs a source whose TAG is a pattern`)
  }
  const ref = findRef(text, states.map((state) => state.ref))
  if (!ref) throw new InvalidArgumentError(`source \`${def.name}\` has no ref \`${text}\`; see \`dkt source list\``, {source: def.name, ref: text})
  return ref
}
