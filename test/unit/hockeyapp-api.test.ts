// Golden vectors of the HockeyApp listing parser and of the download file names.
import {describe, expect, it} from 'vitest'

import {parseAppVersions} from '../../src/kinds/hockeyapp/api.js'
import {buildFileName} from '../../src/kinds/hockeyapp/builds.js'

const BASE = 'https://rink.hockeyapp.net'
const APP = '0873e2b98ad046a92c170a243a8515f6'

// The shape of the documented developer listing (`GET /api/2/apps/APP_ID/app_versions?include_build_urls=true`).
const LISTING = {
  app_versions: [
    {
      version: '208',
      id: 5208,
      mandatory: false,
      config_url: `${BASE}/manage/apps/1266/app_versions/208`,
      download_url: `${BASE}/apps/${APP}/app_versions/208`,
      build_url: `${BASE}/api/2/apps/${APP}/app_versions/5208?format=dmg`,
      timestamp: 1326195742,
      appsize: 157547,
      device_family: null,
      notes: '<p>Fixed bug when users could not sign in.</p>\n',
      status: 2,
      shortversion: '1.1',
      minimum_os_version: null,
      title: 'HockeyApp',
    },
    {version: '200', mandatory: false, timestamp: 1325597000, appsize: 0, status: 1, shortversion: '1.1', title: 'HockeyApp'},
    {version: 195, timestamp: 1325597848, appsize: 157591, shortversion: '1.0', build_url: `/api/2/apps/${APP}/app_versions/5195?format=dmg`},
  ],
  status: 'success',
}

describe('parseAppVersions', () => {
  it('gives the builds with a file, oldest first, keyed by upload', () => {
    expect(parseAppVersions(LISTING, BASE)).toEqual([
      {
        build: '195',
        shortVersion: '1.0',
        url: `${BASE}/api/2/apps/${APP}/app_versions/5195?format=dmg`,
        timestamp: 1325597848,
        size: 157591,
        key: '/195/1325597848/157591',
      },
      {
        build: '208',
        shortVersion: '1.1',
        url: `${BASE}/api/2/apps/${APP}/app_versions/5208?format=dmg`,
        timestamp: 1326195742,
        size: 157547,
        key: '5208/208/1326195742/157547',
      },
    ])
  })

  it('gives no builds for an app without versions', () => {
    expect(parseAppVersions({app_versions: [], status: 'success'}, BASE)).toEqual([])
  })

  it.each([[null], [{}], [{app_versions: 'x'}], [[]]])('refuses a body that is not a listing: %j', (body) => {
    expect(() => parseAppVersions(body, BASE)).toThrow(`HockeyApp API ${BASE} answered something that is not an app_versions listing`)
  })
})

describe('buildFileName', () => {
  const build = {build: '2246', url: `${BASE}/api/2/apps/${APP}/app_versions/5208?format=dmg`}

  it.each([
    ['attachment; filename="Docker.dmg"', 'Docker.dmg'],
    ['attachment; filename=Docker-1.12.dmg', 'Docker-1.12.dmg'],
    ["attachment; filename*=UTF-8''Docker%20Beta.dmg", 'Docker_Beta.dmg'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="..\\\\evil.dmg"', 'evil.dmg'],
    ['attachment; filename=".hidden"', 'hidden'],
    ['attachment; filename=".."', 'build-2246.dmg'],
    [null, 'build-2246.dmg'],
  ])('%s → %s', (header, expected) => {
    expect(buildFileName(build, header)).toBe(expected)
  })

  it('uses the URL file name when it has an extension, else build-N.bin', () => {
    expect(buildFileName({build: '7', url: 'https://cdn.example.com/x/Docker.dmg?sig=1'}, null)).toBe('Docker.dmg')
    expect(buildFileName({build: '7', url: 'https://cdn.example.com/x/blob'}, null)).toBe('build-7.bin')
  })
})
