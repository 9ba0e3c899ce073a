// The hockeyapp kind passes the conformance suite against the test server that speaks the HockeyApp API v2.
import {beforeAll} from 'vitest'

import {hockeyAppServerForSuite} from '../helpers/hockeyapp-server.js'
import {conformanceSuite, testContext} from './conformance.js'

const hockey = hockeyAppServerForSuite()

beforeAll(() => {
  // The environment variable would win over the `hockeyapp.url` setting.
  delete process.env.DKT_HOCKEYAPP_URL
})

conformanceSuite({
  kind: 'hockeyapp',
  // Every listed build stays downloadable.
  keepsOlderVersions: true,
  async subject() {
    const {server} = hockey
    const app = server.addApp('Conformance')
    let build = 1
    server.publish(app, {build: String(build), content: `build ${build}\n`})
    return {
      input: {location: app},
      ctx: testContext({'hockeyapp.url': server.url}, {'hockeyapp-token': server.token}),
      async advance() {
        build++
        server.publish(app, {build: String(build), content: `build ${build}\n`})
      },
    }
  },
})
