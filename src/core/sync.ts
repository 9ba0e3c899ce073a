// `dkt sync`: fetch, merge and push the metadata repository; and the setting that pushes after every commit.
import {GitFailedError, InvalidArgumentError, MergeConflictError, RemoteUnreachableError} from '../base/errors.js'
import {commitIdentity, gitMessage, runGit} from '../base/git-cli.js'
import {redactUrlCredentials} from '../base/redact.js'
import {readConfig} from './config.js'
import type {MetaRepo} from './meta-repo.js'

/** `.dkt/config` key: `true` pushes the metadata after every command's commit (best effort). */
export const PUSH_SETTING = 'sync.push'
/** `.dkt/config` key: the remote sync and the push setting use (default `origin`). */
export const REMOTE_SETTING = 'sync.remote'
/** Pushes rejected because the remote moved meanwhile are retried (fetch, merge, push) this many times. */
const PUSH_ATTEMPTS = 3

export interface SyncResult {
  remote: string
  branch: string
  /** Commits the merge brought in from the remote. */
  received: number
  /** Commits the remote did not have, pushed. */
  sent: number
  head: string
}

export async function syncProject(repo: MetaRepo, options: {remote?: string}): Promise<SyncResult> {
  return repo.exclusive(async () => {
    const remote = await remoteName(repo, options.remote)
    const branch = (await repo.git(['symbolic-ref', '--short', 'HEAD'])).trim()
    const start = await repo.head()
    for (let attempt = 1; ; attempt++) {
      await fetch(repo, remote)
      const tracking = `refs/remotes/${remote}/${branch}`
      const remoteHead = await revision(repo, tracking)
      if (remoteHead !== undefined) await merge(repo, remote, tracking)
      const head = await repo.head()
      const sent = remoteHead === undefined ? await count(repo, head) : await count(repo, `${tracking}..${head}`)
      const pushed = sent === 0 ? {exitCode: 0, stderr: ''} : await push(repo, remote, branch)
      if (pushed.exitCode === 0) {
        const received = remoteHead === undefined ? 0 : await count(repo, `${start}..${remoteHead}`)
        return {remote, branch, received, sent, head}
      }
      if (!/rejected|fetch first|non-fast-forward/i.test(pushed.stderr) || attempt >= PUSH_ATTEMPTS) {
        throw new RemoteUnreachableError(`cannot push to \`${remote}\`: ${gitMessage(pushed.stderr)}; the merge is kept here, sync again`)
      }
    }
  })
}

/** After a command's commit, when `sync.push` is `true`: push; a failure is a warning and the commit stays. */
export async function pushIfSet(repo: MetaRepo): Promise<void> {
  const config = await readConfig(repo.project)
  if (config[PUSH_SETTING] !== 'true') return
  const remote = config[REMOTE_SETTING] ?? 'origin'
  const branch = (await repo.git(['symbolic-ref', '--short', 'HEAD'])).trim()
  const pushed = await push(repo, remote, branch).catch((error: Error) => ({exitCode: 1, stderr: error.message}))
  if (pushed.exitCode !== 0) {
    repo.onWarning(`the change is committed here but not pushed to \`${remote}\` (${gitMessage(pushed.stderr) || 'push failed'}); \`dkt sync\` sends it`)
  }
}

/** The remote named by `given`, else `sync.remote`, else `origin`; one the metadata repository lacks is bad input. */
export async function remoteName(repo: MetaRepo, given: string | undefined): Promise<string> {
  const remote = given ?? (await readConfig(repo.project))[REMOTE_SETTING] ?? 'origin'
  const remotes = (await repo.git(['remote'])).split('\n').filter(Boolean)
  if (!remotes.includes(remote)) {
    const known = remotes.length > 0 ? `its remotes: ${remotes.join(', ')}` : 'it has none (`git -C .dkt remote add origin URL`)'
    throw new InvalidArgumentError(`the metadata repository has no remote \`${remote}\`; ${known}`, {remote})
  }
  return remote
}

/** Fetches from the remote (its configured refspecs, or the given ones); an unreachable remote throws. */
export async function fetch(repo: MetaRepo, remote: string, refspecs: string[] = []): Promise<void> {
  const result = await runGit(['fetch', '-q', '--no-tags', ...(refspecs.length > 0 ? ['--prune'] : []), remote, ...refspecs], {cwd: repo.dir, allowFailure: true})
  if (result.exitCode !== 0) throw new RemoteUnreachableError(`${await cannotReach(repo, remote, result.stderr)}; nothing was changed`)
}

/** `cannot reach \`origin\` (URL without credentials): git's reason`: the sentence of every failed fetch or push. */
export async function cannotReach(repo: MetaRepo, remote: string, stderr: string): Promise<string> {
  const url = (await repo.git(['remote', 'get-url', remote]).catch(() => '')).trim()
  return `cannot reach \`${remote}\` (${redactUrlCredentials(url)}): ${gitMessage(stderr) || 'no answer'}`
}

function push(repo: MetaRepo, remote: string, branch: string) {
  return runGit(['push', '-q', '--porcelain', remote, `HEAD:refs/heads/${branch}`], {cwd: repo.dir, allowFailure: true})
}

export async function revision(repo: MetaRepo, ref: string): Promise<string | undefined> {
  const result = await runGit(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {cwd: repo.dir, allowFailure: true})
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

async function count(repo: MetaRepo, range: string): Promise<number> {
  return Number((await repo.git(['rev-list', '--count', range])).trim())
}

/** Merges the remote's branch; a conflict aborts the merge (work tree and HEAD as before) and is explained. */
export async function merge(repo: MetaRepo, remote: string, tracking: string): Promise<void> {
  const env = await commitIdentity(repo.dir)
  const message = `sync: merge ${remote}`
  const result = await runGit(['merge', '-q', '--no-edit', '-m', message, tracking], {cwd: repo.dir, env, allowFailure: true})
  if (result.exitCode === 0) return
  const conflicted = (await repo.git(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean)
  const sentence = conflicted.length > 0 ? await conflictSentence(repo, remote, tracking.split('/').slice(3).join('/'), conflicted) : undefined
  await runGit(['merge', '--abort'], {cwd: repo.dir, allowFailure: true})
  if (sentence) throw new MergeConflictError(sentence, {data: {remote, files: conflicted}})
  throw new GitFailedError(`cannot merge \`${remote}\`: ${gitMessage(result.stderr || result.stdout)}; nothing was changed`)
}

/** One sentence naming the first conflicting thing and both values (a source's pin: ours here, theirs there). */
async function conflictSentence(repo: MetaRepo, remote: string, branch: string, files: string[]): Promise<string> {
  const file = files[0]
  const [ours, theirs] = await Promise.all([stageJson(repo, 2, file), stageJson(repo, 3, file)])
  const source = /^sources\/(.+)\.json$/.exec(file)?.[1]
  const what = source ? `source \`${source}\`` : `\`.dkt/${file}\``
  const more = files.length > 1 ? ` (and ${files.length - 1} more file${files.length > 2 ? 's' : ''})` : ''
  return `${what} was changed both here and on \`${remote}\`: ${differences(ours, theirs)}${more}; nothing was changed (settle it with git: \`git -C .dkt merge ${remote}/${branch}\`, then sync again)`
}

async function stageJson(repo: MetaRepo, stage: 2 | 3, file: string): Promise<Record<string, unknown> | undefined> {
  const result = await runGit(['show', `:${stage}:${file}`], {cwd: repo.dir, allowFailure: true})
  if (result.exitCode !== 0) return undefined
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** `pin sha1:aaa here, sha1:bbb there` for each field the two sides set differently. Pure. */
export function differences(ours: Record<string, unknown> | undefined, theirs: Record<string, unknown> | undefined): string {
  if (ours === undefined || theirs === undefined) return ours === undefined ? 'removed here, changed there' : 'changed here, removed there'
  const keys = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort()
  const changed = keys.filter((key) => JSON.stringify(ours[key]) !== JSON.stringify(theirs[key]))
  const show = (value: unknown) => (value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value))
  return changed.map((key) => `${key} ${show(ours[key])} here, ${show(theirs[key])} there`).join('; ') || 'both changed it'
}
