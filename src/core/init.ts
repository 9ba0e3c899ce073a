// `dkt init` and `dkt clone`: create a project's `.dkt/` metadata repository, or clone an existing one.
import {existsSync, statSync} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {AlreadyExistsError, InvalidArgumentError, NotFoundError, RemoteUnreachableError} from '../base/errors.js'
import {gitMessage, runGit, tokenHeaderEnv} from '../base/git-cli.js'
import {MetaRepo} from './meta-repo.js'
import {ensureMergeDrivers, GITATTRIBUTES} from './merge-rules.js'
import {DKT_DIR, FORMAT, type Project, projectAt} from './project.js'
import {redactUrlCredentials} from '../base/redact.js'
import {type Secrets, writeSecrets} from './secrets.js'

/** Never committed: private fields, tokens, caches, the lock and temporary files of atomic writes. */
export const GITIGNORE = ['/config', '/secrets/', '/cache/', '/lock', '/lock.*', '*.tmp-*', ''].join('\n')


export interface InitResult {
  dktDir: string
  /** The secrets written, by name (`github-token`). */
  secrets: string[]
}

function assertNoProject(dir: string): void {
  if (existsSync(path.join(dir, DKT_DIR))) {
    throw new AlreadyExistsError(`a dkt project already exists in ${path.join(dir, DKT_DIR)}`, {dir})
  }
}

/**
 * `mergeDriver`: the command that runs dkt (see merge-rules.ts), set up as the clone's merge drivers for run files;
 * absent (a library caller), the clone has none until a command that writes sets them.
 */
export async function initProject(options: {dir: string; secrets: Secrets; mergeDriver?: string}): Promise<InitResult> {
  const dir = path.resolve(options.dir)
  assertNoProject(dir)
  const project = projectAt(dir)
  await fs.mkdir(project.dktDir, {recursive: true})
  try {
    await runGit(['init', '-q', '--initial-branch=main', project.dktDir], {cwd: dir})
    const secrets = await writeSecrets(project, options.secrets)
    if (options.mergeDriver) await ensureMergeDrivers(project.dktDir, options.mergeDriver)
    const repo = new MetaRepo(project)
    await repo.transaction('init', (tx) => {
      tx.writeText('format', `${FORMAT}\n`)
      tx.writeText('.gitignore', GITIGNORE)
      tx.writeText('.gitattributes', GITATTRIBUTES)
    })
    return {dktDir: `${project.dktDir}${path.sep}`, secrets}
  } catch (error) {
    await fs.rm(project.dktDir, {recursive: true, force: true})
    throw error
  }
}

/** Where a clone argument points: a project folder holding `.dkt/` stands for its metadata repository. */
function cloneSource(repo: string, cwd: string): string {
  const local = path.resolve(cwd, repo)
  if (existsSync(path.join(local, DKT_DIR, '.git'))) return path.join(local, DKT_DIR)
  if (existsSync(local)) return local
  return repo
}

/** `…/proj/.dkt`, `…/proj.git`, `…/proj` → `proj`. */
export function cloneDirName(repo: string): string {
  const trimmed = repo.replace(/[/\\]+$/, '').replace(/[/\\]\.dkt$/, '').replace(/\.git$/, '')
  const base = trimmed.split(/[/\\:]/).pop() ?? ''
  if (!base || base === '.' || base === '..') throw new InvalidArgumentError(`cannot tell a folder name from \`${repo}\`; give DIR`)
  return base
}

export async function cloneProject(options: {repo: string; dir?: string; cwd: string; secrets: Secrets; mergeDriver?: string}): Promise<{project: Project} & InitResult> {
  const dir = path.resolve(options.cwd, options.dir ?? cloneDirName(options.repo))
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InvalidArgumentError(`\`${dir}\` exists and is not a folder`)
  assertNoProject(dir)
  const createdDir = !existsSync(dir)
  const project = projectAt(dir)
  const source = cloneSource(options.repo, options.cwd)
  const token = options.secrets['github-token']
  const env = token && /^https:\/\//i.test(source) ? tokenHeaderEnv(token) : {}
  const result = await runGit(['clone', '-q', '--origin', 'origin', source, project.dktDir], {cwd: options.cwd, env, allowFailure: true})
  try {
    if (result.exitCode !== 0) {
      throw new RemoteUnreachableError(`cannot clone \`${redactUrlCredentials(options.repo)}\`: ${gitMessage(result.stderr)}`)
    }
    if (!existsSync(path.join(project.dktDir, 'format'))) {
      throw new NotFoundError(`\`${redactUrlCredentials(options.repo)}\` is not a dkt metadata repository (it has no \`format\` file)`)
    }
    const secrets = await writeSecrets(project, options.secrets)
    if (options.mergeDriver) await ensureMergeDrivers(project.dktDir, options.mergeDriver)
    return {project, dktDir: `${project.dktDir}${path.sep}`, secrets}
  } catch (error) {
    await fs.rm(createdDir ? dir : project.dktDir, {recursive: true, force: true})
    throw error
  }
}
