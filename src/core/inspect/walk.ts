// `dkt inspect SOURCE:VERSION`: the provenance manifest, walked back through runs and links to the global sources.
import type {MetaRepo} from '../meta-repo.js'
import {type LinkDef} from '../model/link.js'
import {type RunRecord, runFile} from '../model/run.js'
import {shortId} from '../ids.js'
import {parseSourceVersion, readLinks} from '../source/link.js'
import {findSource, loadSource, readObservations, resolveSourceVersion} from '../source/store.js'
import {shortVersion, type Version, versionAlgorithm} from '../../base/version.js'

/** A version of a source, as the seed's manifest shows it. */
export interface VersionEntry {
  ID: string
  source: string
  kind: string
  url: string
  commit?: Version
  digest?: Version
  /** ID of the run that produced it (none for a global source). */
  inputs: string[]
  /** Versions related to it out of band (`dkt source link`), as `source:ID`. */
  links: string[]
  /** Full identifiers, for machines: `source:version`. */
  version: string
}

/** A run, as the seed's manifest shows it. */
export interface RunEntry {
  ID: string
  node: string
  inputs: string[]
  outputs: string[]
  command: string[]
  image: string | null
  status: string
  run: string
}

export type ManifestEntry = VersionEntry | RunEntry

export interface Provenance {
  target: string
  entries: ManifestEntry[]
  /** Edges for graphs, between entry keys (`version` of versions, `run` of runs); `link` for out-of-band relations. */
  edges: {from: string; to: string; link?: boolean}[]
}

export function isRunEntry(entry: ManifestEntry): entry is RunEntry {
  return 'node' in entry
}

export async function inspectVersion(repo: MetaRepo, options: {target: string}): Promise<Provenance> {
  const {source, version: text} = parseSourceVersion(options.target)
  const version = await resolveSourceVersion(repo, await loadSource(repo, source), text)
  const links: LinkDef[] = await readLinks(repo)
  const entries: ManifestEntry[] = []
  const edges: Provenance['edges'] = []
  const visited = new Set<string>()
  const observationCache = new Map<string, Awaited<ReturnType<typeof readObservations>>>()

  const producer = async (name: string, v: Version): Promise<RunRecord | undefined> => {
    if (!observationCache.has(name)) observationCache.set(name, await readObservations(repo, name))
    const made = observationCache.get(name)?.findLast((o) => o.version === v && o.run && o.node)
    return made ? repo.readJson<RunRecord>(runFile(made.node as string, made.run as string)) : undefined
  }

  // Post-order depth-first walk: what a version came from is listed before it, global sources first.
  const visitVersion = async (name: string, v: Version): Promise<{id: string; key: string}> => {
    const id = shortVersion(v)
    const key = `${name}:${v}`
    if (visited.has(key)) return {id, key}
    visited.add(key)
    // A removed source shows as removed; a broken file is an error, never shown as removed.
    const def = await findSource(repo, name)
    const inputs: string[] = []
    const linked: string[] = []
    const run = await producer(name, v)
    if (run) {
      inputs.push(await visitRun(run))
      edges.push({from: run.id, to: key})
    }
    for (const link of links.filter((l) => l.to.source === name && l.to.version === v)) {
      const from = await visitVersion(link.from.source, link.from.version)
      linked.push(`${link.from.source}:${from.id}`)
      edges.push({from: from.key, to: key, link: true})
    }
    const field = versionAlgorithm(v) === 'sha1' ? 'commit' : 'digest'
    entries.push({ID: id, source: name, kind: def?.kind ?? 'removed', url: def?.location ?? '', [field]: v, inputs, links: linked, version: key})
    return {id, key}
  }

  const visitRun = async (run: RunRecord): Promise<string> => {
    const id = shortId(run.id)
    if (visited.has(run.id)) return id
    visited.add(run.id)
    const inputs: string[] = []
    for (const [name, v] of Object.entries(run.inputs).sort()) {
      const from = await visitVersion(name, v)
      inputs.push(from.id)
      edges.push({from: from.key, to: run.id})
    }
    entries.push({
      ID: id,
      node: shortId(run.node),
      inputs,
      outputs: Object.entries(run.outputs).map(([name, v]) => `${name}:${shortVersion(v)}`),
      command: run.command,
      image: run.image,
      status: run.status,
      run: run.id,
    })
    return id
  }

  await visitVersion(source, version)
  return {target: `${source}:${version}`, entries, edges}
}
