// The github kind passes the conformance suite: `user/repo` against a git daemon standing in for GitHub
// (`github.url` points at it), so the shorthand resolves to a git URL that the git driver follows.
import * as path from 'node:path'
import {beforeAll} from 'vitest'

import {bareRepo} from '../helpers/git.js'
import {gitDaemonForSuite} from '../helpers/git-daemon.js'
import {tempDir} from '../helpers/tmp.js'
import {conformanceSuite, testContext} from './conformance.js'

const daemon = gitDaemonForSuite()

beforeAll(() => {
  // The environment variable would win over the `github.url` setting.
  delete process.env.DKT_GITHUB_URL
})

conformanceSuite({
  kind: 'github',
  keepsOlderVersions: true,
  async subject() {
    const user = path.basename(tempDir('team-'))
    const {advance} = bareRepo(path.join(daemon.served), `${user}/pipeline.git`)
    return {input: {location: `${user}/pipeline`}, ctx: testContext({'github.url': daemon.url}), advance: async () => advance()}
  },
})
