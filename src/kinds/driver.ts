// The one interface every source kind implements, with Concourse resource semantics (check / fetch / publish).
import type {Version} from '../base/version.js'

/** Tokens from `.dkt/secrets/`, by file name (`github-token`); never printed, never committed. */
export type Secrets = Partial<Record<string, string>>

/** What a driver needs to know about a source; it never reads `.dkt/` itself. */
export interface SourceSpec {
  name: string
  kind: string
  location: string
  tag?: string
  /** `/`-rooted sub-path, or undefined for the whole location. */
  path?: string
}

export interface DriverContext {
  /** The driver's own folder under `.dkt/cache/`: mirrors, hash caches. */
  cacheDir: string
  /** Folder that relative local locations are relative to (the project root). */
  baseDir: string
  secrets: Secrets
  /** Settings from `.dkt/config` (e.g. `github.url`). */
  settings: Record<string, string>
  signal?: AbortSignal
  /** Progress of a long transfer (an s3 fetch, a build download); the CLI shows it on a terminal. */
  onProgress?: (progress: TransferProgress) => void
}

export interface TransferProgress {
  /** What is being transferred, e.g. `s3://bucket/prefix`. */
  what: string
  doneBytes: number
  totalBytes: number
  doneFiles: number
  totalFiles: number
}

/** What `dkt source add` resolved from the user's input: the stored location and the default tag. */
export interface ResolvedLocation {
  kind: string
  location: string
  tag?: string
  /** The machine the location exists on only (a path source: machineName()); absent: any machine can reach it. */
  host?: string
  /** A folder the driver created (a temporary path source), to remove if the add is rolled back. */
  created?: string
}

export type Fields = Record<string, string>

/** A token a kind reads from `DriverContext.secrets`; `dkt init` and `dkt clone` take it as a flag. */
export interface SecretDeclaration {
  /** File name under `.dkt/secrets/`, key in `DriverContext.secrets`, and the flag `--NAME` (env `DKT_NAME`). */
  readonly name: string
  /** Help text of the flag. */
  readonly description: string
  /** Secrets that must be given together with this one (an S3 key pair). */
  readonly dependsOn?: readonly string[]
}

/**
 * What a kind tells the rest of dkt without its driver being imported: the CLI builds its flags from it
 * synchronously, the scheduler its polling, the node checks their messages. `src/kinds/<kind>/declaration.ts`.
 */
export interface KindDeclaration {
  /** What `-k` takes, and the name of its `.dkt/cache/` folder. */
  readonly name: string
  /** Seconds between two checks of a source the scheduler cannot watch (`scheduler.poll.KIND` overrides it). */
  readonly pollSeconds: number
  /** Tokens the driver reads; each is a flag of `init` and `clone`, kept in `.dkt/secrets/`. */
  readonly secrets: readonly SecretDeclaration[]
  /** A run may write a source of this kind (`--output`): its driver has `prepareOutput` and `publish`. */
  readonly writable: boolean
  /** A source of this kind can be a run's `--image`: its `fetch` gives IMAGE, a reference a container engine pulls. */
  readonly providesImage?: boolean
  /** Sources added with this kind are stored as another one (github → git): the kind is a shorthand for `-k`. */
  readonly storedAs?: string
}

export interface KindDriver {
  /** The kind name shown in tables (github sources show as `git`). */
  readonly kind: string
  /** `own`: the kind has a history of its own (git); `observed`: dkt's observations are the history. */
  readonly history: 'own' | 'observed'
  /** The fields `fetch` and `prepareOutput` give (`ROOT`, `COMMIT`, …): what `${NAME:FIELD}` may name. */
  readonly fields: readonly string[]
  /**
   * Columns `dkt source log` shows between ID and FULL (hockeyapp: `BUILD`), taken from what `describe` recorded
   * with each version.
   */
  readonly logColumns?: readonly string[]
  /**
   * What to watch on disk for a new version of a local source (path: its folder; a local git repository: its refs),
   * or undefined for a source only polling can follow. Without it the scheduler polls every source of the kind.
   */
  watchedPaths?(source: SourceSpec, ctx: DriverContext): string[] | undefined
  /** Turns user input into a stored location (shortcuts expanded, default tag found); validates it exists. */
  resolve(input: {location?: string; tag?: string; cwd: string}, ctx: DriverContext): Promise<ResolvedLocation>
  /**
   * Versions oldest → newest: without `from`, only the latest; with `from`, `from` itself if still valid
   * followed by every newer version.
   */
  check(source: SourceSpec, from: Version | undefined, ctx: DriverContext): Promise<Version[]>
  /**
   * Only for kinds whose TAG may be a ref pattern (git: `*`, `release/*`, `pull/*`; see kinds/ref-pattern.ts): the
   * latest version on every ref the pattern matches now, by full ref name (`refs/heads/main`), sorted. One listing of
   * the remote; only the refs that moved are fetched. A ref on which PATH does not exist is left out.
   */
  checkRefs?(source: SourceSpec, ctx: DriverContext): Promise<Record<string, Version>>
  /**
   * Facts about a version worth recording with its observation (hockeyapp: `{BUILD: '42'}`), keyed by `logColumns`.
   * Called right after `check` returned it, so a driver may answer from what `check` just read; and by `source log`
   * for versions recorded without them (a run's output), where `{}` shows as `-`.
   */
  describe?(source: SourceSpec, version: Version, ctx: DriverContext): Promise<Record<string, string>>
  /**
   * Every version up to `latest`, newest first: for `own` history kinds, their history; for `observed` ones that
   * can list more than dkt saw (hockeyapp: every downloadable build), what `source log` shows.
   */
  log?(source: SourceSpec, latest: Version, ctx: DriverContext): Promise<Version[]>
  /** Materializes exactly `version` into `dir` and returns its fields (ROOT, COMMIT, …). */
  fetch(source: SourceSpec, version: Version, dir: string, ctx: DriverContext): Promise<Fields>
  /**
   * Only for kinds a run may write (`--output`: path, git, s3); read-only kinds (docker, hockeyapp) leave it out.
   * Makes a writable folder for a run to put the source's next version in (path: the folder itself; git: a work
   * tree at the tip of TAG) and returns its fields (ROOT at least). `dir` is scratch space the driver may use.
   */
  prepareOutput?(source: SourceSpec, dir: string, ctx: DriverContext): Promise<Fields>
  /**
   * Publishes what a run left in the folder `prepareOutput` returned as a new version (idempotent: nothing new gives
   * the current version) and returns the version produced. `message` names the run, for kinds that keep one.
   */
  publish?(source: SourceSpec, dir: string, ctx: DriverContext, options: {message: string}): Promise<Version>
}
