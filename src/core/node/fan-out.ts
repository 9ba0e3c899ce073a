// Fan-out of a node over the refs of its TAG pattern inputs: one set of input versions per ref, the run key staying
// the input versions (two refs on one commit share a run). The rules are pure; nodeInputSets reads what they need.
import type {Version} from '../../base/version.js'
import type {MetaRepo} from '../meta-repo.js'
import type {NodeDef} from '../model/node.js'
import type {RunRecord} from '../model/run.js'
import type {SourceDef} from '../model/source.js'
import {followedRefs, isPatternSource} from '../source/refs.js'
import {lastObserved, loadRefStates} from '../source/store.js'
import {inputSources} from './store.js'

/** What is known of one input now. */
export interface InputFacts {
  name: string
  /** A source following one ref (or none): its pin, else its last observed version. */
  version?: Version
  /** A TAG pattern source: each followed ref's version (its pin, else its latest). */
  refs?: Record<string, Version>
}

/** The input versions of one run to be: for a fanned-out node, those of one ref. */
export interface InputSet {
  /** The ref (full name) the set is for; null when no input is a TAG pattern source. */
  ref: string | null
  versions: Record<string, Version>
}

export interface FanOut {
  /** Whether some input is a TAG pattern source. */
  fanned: boolean
  /** One set per ref every pattern input follows (sorted by ref), or the one set of a node with no pattern input. */
  sets: InputSet[]
  /** Inputs without any version yet (for a pattern input: no ref). No set is given while one is missing. */
  missing: string[]
}

/**
 * The sets of input versions a node runs on. Refs are matched by name across pattern inputs (a source and one
 * derived from it with `-p` follow the same refs): a ref runs when every pattern input follows it. Pure.
 */
export function fanOut(inputs: InputFacts[]): FanOut {
  const patterns = inputs.filter((input) => input.refs !== undefined)
  const missing = inputs.filter((input) => (input.refs ? Object.keys(input.refs).length === 0 : input.version === undefined)).map((input) => input.name)
  const fixed = Object.fromEntries(inputs.flatMap((input) => (input.version && !input.refs ? [[input.name, input.version]] : [])))
  if (missing.length > 0) return {fanned: patterns.length > 0, sets: [], missing}
  if (patterns.length === 0) return {fanned: false, sets: [{ref: null, versions: fixed}], missing}
  const refs = Object.keys(patterns[0].refs as Record<string, Version>)
    .filter((ref) => patterns.every((input) => (input.refs as Record<string, Version>)[ref] !== undefined))
    .sort()
  const sets = refs.map((ref) => ({
    ref,
    versions: {...fixed, ...Object.fromEntries(patterns.map((input) => [input.name, (input.refs as Record<string, Version>)[ref]]))},
  }))
  return {fanned: true, sets, missing}
}

/**
 * The refs a run served: the one it ran for, then every other ref whose current input versions are the run's (a
 * shared run). Pure.
 */
export function refsOfRun(run: Pick<RunRecord, 'ref' | 'key'>, sets: {ref: string | null; key: string}[]): string[] {
  const others = sets.filter((set) => set.key === run.key && set.ref !== null && set.ref !== run.ref).map((set) => set.ref as string)
  return [...(run.ref ? [run.ref] : []), ...others]
}

/**
 * The sets of input versions a node fanned out over refs runs on now (see fanOut); undefined for a node with no TAG
 * pattern input, which reads nothing more here (its inputs are read as they always were: store.ts currentInputs).
 */
export async function nodeInputSets(repo: MetaRepo, node: NodeDef, known?: SourceDef[]): Promise<FanOut | undefined> {
  const defs = known ?? (await inputSources(repo, node))
  if (!defs.some(isPatternSource)) return undefined
  const facts = await Promise.all(
    defs.map(async (def): Promise<InputFacts> => {
      if (isPatternSource(def)) return {name: def.name, refs: followedRefs(await loadRefStates(repo, def))}
      return {name: def.name, version: def.pin ?? (await lastObserved(repo, def.name))}
    }),
  )
  return fanOut(facts)
}
