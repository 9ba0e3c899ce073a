// The git kind passes the conformance suite: a local repository (whole, and a sub-path), and one behind a git daemon.
import * as path from 'node:path'

import {bareRepo, commit, git, gitRepo} from '../helpers/git.js'
import {gitDaemonForSuite} from '../helpers/git-daemon.js'
import {tempDir} from '../helpers/tmp.js'
import {conformanceSuite, testContext} from './conformance.js'

let changes = 0

/** A local repository that accepts pushes to its checked-out branch (publish pushes to it), as a user's own repository. */
function localRepository(): string {
  const {dir} = gitRepo([{'README': 'hello\n', 'data/a.txt': 'a\n'}])
  git(dir, ['config', 'receive.denyCurrentBranch', 'updateInstead'])
  return dir
}

conformanceSuite({
  kind: 'git',
  variant: 'local repository',
  keepsOlderVersions: true,
  async subject() {
    const dir = localRepository()
    return {input: {location: dir}, ctx: testContext(), advance: async () => void commit(dir, {[`change-${++changes}.txt`]: 'x\n'})}
  },
})

conformanceSuite({
  kind: 'git',
  variant: 'local repository, sub-path',
  keepsOlderVersions: true,
  async subject() {
    const dir = localRepository()
    return {
      input: {location: dir},
      path: '/data',
      ctx: testContext(),
      async advance() {
        // A commit outside the sub-path is no version of it; the next one is.
        commit(dir, {[`outside-${++changes}.txt`]: 'x\n'})
        commit(dir, {[`data/change-${changes}.txt`]: 'x\n'})
      },
    }
  },
})

const daemon = gitDaemonForSuite()

conformanceSuite({
  kind: 'git',
  variant: 'git daemon',
  keepsOlderVersions: true,
  async subject() {
    const name = `${path.basename(tempDir('repo-'))}.git`
    const {advance} = bareRepo(daemon.served, name)
    return {input: {location: `${daemon.url}/${name}`}, ctx: testContext(), advance: async () => advance()}
  },
})
