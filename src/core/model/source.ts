// A source definition (`sources/NAME.json`) and its observed versions (`versions/NAME.jsonl`).
import type {Version} from '../../base/version.js'

export const SOURCE_FORMAT = 1

export interface SourceDef {
  format: number
  name: string
  /** The driver that reads it: `git` (github sources are git sources), `path`, and later docker, s3, hockeyapp. */
  kind: string
  location: string
  tag?: string
  /** Sub-path inside the location, `/`-rooted (`/v1/pitfall`); absent = the whole location. */
  path?: string
  /** The source this one was derived from, if any. */
  parent?: string
  pin?: Version
  /** A TAG pattern's pinned refs: full ref name → version (`source pin NAME VERSION --ref R`). */
  pins?: Record<string, Version>
  paused?: boolean
  /**
   * The machine (machineName()) a path source lives on: only there is it followed, and only there do the nodes that
   * read or write it run (implicit label `host:H`). Absent (older definitions, other kinds): any machine.
   */
  host?: string
}

export interface Observation {
  version: Version
  /** ISO time at which dkt first saw this version. */
  observed: string
  /** The run that produced this version, when a node wrote it (its provenance). */
  run?: string
  /** That run's node. */
  node?: string
  /** What the driver told about this version when it was observed (hockeyapp: `{BUILD: '42'}`). */
  info?: Record<string, string>
  /** For a TAG pattern: the ref (full name, `refs/heads/main`) this is the version of. */
  ref?: string
  /** The ref is no longer listed by the remote: no longer followed (`version` is its last one). */
  gone?: true
}

export const sourceFile = (name: string) => `sources/${name}.json`
export const versionsFile = (name: string) => `versions/${name}.jsonl`
