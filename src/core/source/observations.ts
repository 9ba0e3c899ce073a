// The merge-stable reading of a source's observations: ordered by time, not by line, and one entry per version.
import type {Version} from '../../base/version.js'
import type {Observation} from '../model/source.js'

/**
 * Observations oldest → newest by their `observed` time (ties keep file order), one entry per version (and ref):
 * a union merge of `versions/NAME.jsonl` reorders lines and may hold the same version seen by two clones, so
 * neither the line order nor the line count means anything. A version seen again later moves to that later time
 * (a path source going A → B → A ends on A); what earlier sightings told (its run, node, info) is kept, but `gone`
 * is only what the newest sighting says. Pure.
 */
export function mergeStableObservations(observations: readonly Observation[]): Observation[] {
  const byTime = observations
    .map((observation, line) => ({observation, line, time: Date.parse(observation.observed)}))
    .sort((a, b) => timeOrder(a.time, b.time) || a.line - b.line)
  const latest = new Map<string, Observation>()
  for (const {observation} of byTime) {
    const key = `${observation.ref ?? ''}\u0000${observation.version}`
    const merged: Observation = {...latest.get(key), ...observation}
    if (observation.gone !== true) delete merged.gone
    // Delete first: a Map keeps insertion order, and this sighting is now the newest.
    latest.delete(key)
    latest.set(key, merged)
  }
  return [...latest.values()]
}

/** The newest observation by time (ties: the later line), whatever the order of the lines. Pure. */
export function latestObservation(observations: readonly Observation[]): Observation | undefined {
  return mergeStableObservations(observations).at(-1)
}

/** The latest version of a one-ref source (see latestObservation). Pure. */
export function latestVersion(observations: readonly Observation[]): Version | undefined {
  return latestObservation(observations)?.version
}

// An unparsable time sorts first (as the oldest), so one odd line never hides the real latest version.
function timeOrder(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1
  return a - b
}
