// One `git push --porcelain` of several ref updates (claims, releases, beats, the branch), each guarded by the
// value it expects on the remote, and what the remote said of each: the compare-and-swap of remote workers.
import {runGit} from '../../base/git-cli.js'

export interface RefUpdate {
  /** Full ref name on the remote. */
  ref: string
  /** What to point it at (an object ID or a local ref); undefined deletes it. */
  source?: string
  /** The value the remote must have for the update to apply: an object ID, '' = absent; undefined: none. */
  expect?: string
  /** Without `expect`: replace whatever is there (a heartbeat); else only a fast-forward applies (the branch). */
  force?: boolean
}

export interface PushOutcome {
  /** False: no ref status came back (the remote could not be reached, or refused the connection). */
  reachable: boolean
  /** Per ref: accepted, or the reason it was rejected (`stale info`, `fetch first`, `atomic push failed`, …). */
  refs: Map<string, {ok: boolean; reason: string}>
  /** git's own words, for a message when the remote was not reachable. */
  stderr: string
}

/** Pushes the updates in one connection; with `atomic`, all or none apply. Never throws for a rejection. */
export async function pushRefs(dir: string, remote: string, updates: RefUpdate[], options: {atomic?: boolean} = {}): Promise<PushOutcome> {
  const args = ['push', '--porcelain', '--no-verify', ...(options.atomic ? ['--atomic'] : [])]
  for (const update of updates) {
    if (update.expect !== undefined) args.push(`--force-with-lease=${update.ref}:${update.expect}`)
  }
  args.push(remote, ...updates.map((update) => `${update.force && update.source ? '+' : ''}${update.source ?? ''}:${update.ref}`))
  const result = await runGit(args, {cwd: dir, allowFailure: true})
  const refs = parsePorcelain(result.stdout)
  return {reachable: refs.size > 0, refs, stderr: result.stderr}
}

/** `FLAG\tFROM:TO\tSUMMARY` lines of `git push --porcelain`, by destination ref. Pure. */
export function parsePorcelain(stdout: string): Map<string, {ok: boolean; reason: string}> {
  const refs = new Map<string, {ok: boolean; reason: string}>()
  for (const line of stdout.split('\n')) {
    const [flag, fromTo, summary] = line.split('\t')
    if (summary === undefined || flag.length !== 1) continue
    refs.set(fromTo.slice(fromTo.lastIndexOf(':') + 1), {ok: flag !== '!', reason: summary})
  }
  return refs
}
