// Real git repositories for tests: create one, commit files to it, read its state.
import {execFileSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'

import {tempDir} from './tmp.js'

const IDENTITY = ['-c', 'user.name=test', '-c', 'user.email=test@localhost', '-c', 'commit.gpgsign=false']

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], {cwd, encoding: 'utf8', env: {...process.env, GIT_CONFIG_NOSYSTEM: '1'}}).trim()
}

/** Writes `files` (path → content, or null to delete) into the work tree and commits them; returns the commit. */
export function commit(repo: string, files: Record<string, string | null>, message = 'change'): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(repo, rel)
    if (content === null) rmSync(file, {force: true})
    else {
      mkdirSync(path.dirname(file), {recursive: true})
      writeFileSync(file, content)
    }
  }
  git(repo, ['add', '-A'])
  git(repo, ['commit', '-q', '--allow-empty', '-m', message])
  return git(repo, ['rev-parse', 'HEAD'])
}

/** A new repository on `branch` with one commit per entry of `history`; returns its folder and the commits. */
export function gitRepo(
  history: Record<string, string | null>[] = [{'README': 'hello\n'}],
  options: {branch?: string; dir?: string} = {},
): {dir: string; commits: string[]} {
  const dir = options.dir ?? tempDir('dkt-repo-')
  mkdirSync(dir, {recursive: true})
  git(dir, ['init', '-q', `--initial-branch=${options.branch ?? 'main'}`])
  const commits = history.map((files, i) => commit(dir, files, `commit ${i + 1}`))
  return {dir, commits}
}

/** What proves a rejected command changed nothing: HEAD, the index and the work tree of `.dkt`. */
export function metaState(project: string): {head: string; status: string; commits: number} {
  const dkt = path.join(project, '.dkt')
  return {
    head: git(dkt, ['rev-parse', 'HEAD']),
    status: git(dkt, ['status', '--porcelain', '--untracked-files=all']),
    commits: Number(git(dkt, ['rev-list', '--count', 'HEAD'])),
  }
}

/**
 * A bare repository `name` in `folder` (e.g. what a git daemon serves) with one commit on main, and `advance`, which
 * commits a new file in a work clone and pushes it.
 */
export function bareRepo(folder: string, name: string): {dir: string; advance: () => void} {
  const dir = path.join(folder, name)
  git(folder, ['init', '-q', '--bare', '--initial-branch=main', name])
  const work = gitRepo([{'README': 'hello\n'}]).dir
  git(work, ['push', '-q', dir, 'HEAD:main'])
  let changes = 0
  return {
    dir,
    advance() {
      commit(work, {[`change-${++changes}.txt`]: `change ${changes}\n`})
      git(work, ['push', '-q', dir, 'HEAD:main'])
    },
  }
}
