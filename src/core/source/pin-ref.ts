// `dkt source pin NAME [VERSION] --ref R` and `unpin NAME [--ref R]` for a TAG pattern source: each ref has its pin.
import {InvalidArgumentError} from '../../base/errors.js'
import {shortVersion, type Version} from '../../base/version.js'
import {expandVersion} from '../prefix.js'
import type {MetaRepo} from '../meta-repo.js'
import {type SourceDef, sourceFile} from '../model/source.js'
import {type RefState, resolveRef} from './refs.js'
import {driverFor, loadRefStates, loadSource, type SourceView, toSpec, withRefs} from './store.js'

/** The versions a ref has had: its history up to its latest version (as `source log NAME --ref R` lists it). */
async function refHistory(repo: MetaRepo, def: SourceDef, state: RefState): Promise<Version[]> {
  const {driver, ctx} = await driverFor(repo, def.kind)
  return driver.log ? driver.log(toSpec(def), state.version, ctx) : [state.version]
}

/**
 * The ref and version a pin names: with `--ref`, that ref at VERSION (or at its latest version); without, the one
 * followed ref whose history has VERSION (a commit on several refs needs `--ref`).
 */
async function pinTarget(repo: MetaRepo, def: SourceDef, text: string | undefined, refText: string | undefined): Promise<{ref: string; version: Version}> {
  const states = (await loadRefStates(repo, def)).filter((state) => !state.gone)
  if (refText !== undefined) {
    const ref = resolveRef(def, states, refText)
    const state = states.find((s) => s.ref === ref) as RefState
    return {ref, version: text === undefined ? state.version : expandVersion(text, await refHistory(repo, def, state), `${def.name} ${ref}`)}
  }
  if (text === undefined) throw new InvalidArgumentError(`give a VERSION or --ref to pin \`${def.name}\``)
  const holders: {ref: string; version: Version}[] = []
  for (const state of states) {
    try {
      holders.push({ref: state.ref, version: expandVersion(text, await refHistory(repo, def, state), def.name)})
    } catch {
      // Not on this ref.
    }
  }
  if (holders.length === 1) return holders[0]
  const where = holders.length === 0 ? 'no ref of it has it' : `it is on ${holders.map((h) => h.ref).join(', ')}`
  throw new InvalidArgumentError(`cannot pin \`${def.name}\` to \`${text}\`: ${where}; pass --ref REF`, {source: def.name})
}

export async function pinRef(
  repo: MetaRepo,
  options: {name: string; version?: string; ref?: string},
): Promise<SourceView & {changed: boolean}> {
  const def = await loadSource(repo, options.name)
  const {ref, version} = await pinTarget(repo, def, options.version, options.ref)
  return repo.transaction(`source pin ${def.name} ${ref} ${version.split(':')[0]}:${shortVersion(version)}`, async (tx) => {
    const current = await loadSource(repo, options.name)
    const changed = current.pins?.[ref] !== version
    const next = {...current, pins: {...current.pins, [ref]: version}}
    if (changed) tx.writeJson(sourceFile(def.name), next)
    return {...withRefs(next, await loadRefStates(repo, next)), changed}
  })
}

export async function unpinRef(repo: MetaRepo, options: {name: string; ref?: string}): Promise<SourceView & {changed: boolean}> {
  const def = await loadSource(repo, options.name)
  const ref = options.ref === undefined ? undefined : resolveRef(def, await loadRefStates(repo, def), options.ref)
  return repo.transaction(`source unpin ${options.name}${ref ? ` ${ref}` : ''}`, async (tx) => {
    const {pins, ...current} = await loadSource(repo, options.name)
    const kept = Object.fromEntries(Object.entries(pins ?? {}).filter(([pinned]) => ref !== undefined && pinned !== ref))
    const next: SourceDef = Object.keys(kept).length > 0 ? {...current, pins: kept} : current
    const changed = Object.keys(kept).length !== Object.keys(pins ?? {}).length
    if (changed) tx.writeJson(sourceFile(current.name), next)
    return {...withRefs(next, await loadRefStates(repo, next)), changed}
  })
}
