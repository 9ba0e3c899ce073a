// Runs the git command-line program: one small promise wrapper, with an environment that never prompts.
import {GitFailedError} from './errors.js'
import {profiled, profiledSync} from './profile.js'
import {redactUrlCredentials} from './redact.js'
import {currentLaunch} from './spawner.js'

export interface GitOptions {
  /** Directory git runs in (`-C` semantics). */
  cwd: string
  /** Extra environment; values here win over the inherited environment. */
  env?: Record<string, string | undefined>
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean
  signal?: AbortSignal
}

export interface GitResult {
  stdout: string
  stderr: string
  exitCode: number
}

// Inherited variables that would point git at another repository than the one we name (e.g. inside a git hook).
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_NAMESPACE']

/** What git's environment changes from this process's (see LaunchRequest's `env`). */
function gitEnvironment(extra: GitOptions['env']): Record<string, string | null> {
  const changes: Record<string, string | null> = {}
  for (const name of REPOSITORY_VARIABLES) changes[name] = null
  // Never block on a password prompt or an editor: dkt runs unattended.
  Object.assign(changes, {GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', GIT_EDITOR: 'true', LC_ALL: 'C'})
  for (const [key, value] of Object.entries(extra ?? {})) changes[key] = value ?? null
  return changes
}

/** The last non-empty line of git's stderr, without its `fatal: ` / `error: ` prefix. */
export function gitMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('hint:'))
  // From git's first fatal/error line to the end: "unable to connect to host:" is followed by the reason.
  const first = lines.findIndex((l) => /^(fatal|error):/.test(l))
  const message = first >= 0 ? lines.slice(first, first + 3).join(' ') : (lines.at(-1) ?? 'no message')
  return redactUrlCredentials(message.replace(/^(fatal|error|warning):\s*/, ''))
}

/** The git command of an argument list: the first word that is neither an option nor the value of `-c`/`-C`. */
export function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++
    else if (!args[i].startsWith('-')) return args[i]
  }
  return ''
}

export function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  return profiled(`git ${subcommand(args)}`, () => spawnGit(args, options))
}

// Started through the scheduler's helper processes when there are some (see spawner.ts); git is then in the helper's
// process group, so a Ctrl-C at the terminal (the scheduler's to handle) does not cut a group commit short.
function spawnGit(args: string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const {signal} = options
    if (signal?.aborted) {
      reject(new GitFailedError('cannot run git: The operation was aborted', {cause: signal.reason}))
      return
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    const onAbort = () => {
      git.kill('SIGTERM')
      reject(new GitFailedError('cannot run git: The operation was aborted', {cause: signal?.reason}))
    }
    const settle = () => signal?.removeEventListener('abort', onAbort)
    const git = profiledSync('spawn', () =>
      currentLaunch()(
        {file: 'git', args, cwd: options.cwd, env: gitEnvironment(options.env), detached: false},
        {
          output: (stream, chunk) => (stream === 'stdout' ? out : err).push(chunk),
          failedToStart: (_code, message) => {
            settle()
            reject(new GitFailedError(`cannot run git: ${message}`))
          },
          closed: (code, killedBy) => {
            settle()
            const result = {stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? 128}
            if (result.exitCode === 0 || options.allowFailure) {
              resolve(result)
              return
            }
            const what = killedBy ? `was killed by ${killedBy}` : `failed: ${gitMessage(result.stderr)}`
            reject(new GitFailedError(`git ${subcommand(args)} ${what}`, {data: {args, ...result}}))
          },
        },
      ),
    )
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

/** git configuration, as environment variables, that sends `token` as HTTP basic auth (GitHub's x-access-token). */
export function tokenHeaderEnv(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64')
  return {GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`}
}

export const DKT_IDENTITY = {name: 'dkt', email: 'dkt@localhost'}

let identityEnv: Record<string, string> | undefined

/** The user's git identity when one is configured (seen from `cwd`); otherwise the deterministic dkt identity. */
export async function commitIdentity(cwd: string): Promise<Record<string, string>> {
  if (identityEnv) return identityEnv
  const configured = await runGit(['config', '--get-regexp', '^user\\.(name|email)$'], {cwd, allowFailure: true})
  const keys = new Set(configured.stdout.split('\n').map((line) => line.split(' ')[0]))
  const hasName = keys.has('user.name') || process.env.GIT_AUTHOR_NAME
  const hasEmail = keys.has('user.email') || process.env.GIT_AUTHOR_EMAIL
  identityEnv =
    hasName && hasEmail
      ? {}
      : {
          GIT_AUTHOR_NAME: DKT_IDENTITY.name,
          GIT_AUTHOR_EMAIL: DKT_IDENTITY.email,
          GIT_COMMITTER_NAME: DKT_IDENTITY.name,
          GIT_COMMITTER_EMAIL: DKT_IDENTITY.email,
        }
  return identityEnv
}
