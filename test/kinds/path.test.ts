// The path kind passes the conformance suite: a local folder.
import {writeFileSync} from 'node:fs'
import * as path from 'node:path'

import {tempDir} from '../helpers/tmp.js'
import {conformanceSuite, testContext} from './conformance.js'

conformanceSuite({
  kind: 'path',
  keepsOlderVersions: false,
  async subject() {
    const folder = tempDir('dkt-path-source-')
    writeFileSync(path.join(folder, 'data.txt'), 'first\n')
    let changes = 0
    return {
      input: {location: folder},
      ctx: testContext(),
      async advance() {
        writeFileSync(path.join(folder, `change-${++changes}.txt`), `change ${changes}\n`)
      },
    }
  },
})
