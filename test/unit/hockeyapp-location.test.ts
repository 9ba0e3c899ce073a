// Golden vectors of the pure HockeyApp location rules: App ID shortcut, URL forms, API base, token destination.
import {describe, expect, it} from 'vitest'

import {
  appVersionsUrl,
  DEFAULT_HOCKEYAPP_URL,
  hockeyappBaseUrl,
  hockeyappLocation,
  mayReceiveToken,
  parseAppUrl,
} from '../../src/kinds/hockeyapp/location.js'

const ID = 'e63b4e58fd9d40e48e74f8f2e71c49a5'

describe('hockeyappLocation', () => {
  it.each([
    [ID, DEFAULT_HOCKEYAPP_URL, `https://rink.hockeyapp.net/manage/apps/${ID}`],
    ['259320', DEFAULT_HOCKEYAPP_URL, 'https://rink.hockeyapp.net/manage/apps/259320'],
    [ID, 'http://127.0.0.1:8080/', `http://127.0.0.1:8080/manage/apps/${ID}`],
    [ID, 'https://hockey.example.com/prefix', `https://hockey.example.com/prefix/manage/apps/${ID}`],
    [`https://rink.hockeyapp.net/manage/apps/${ID}`, 'http://ignored', `https://rink.hockeyapp.net/manage/apps/${ID}`],
    [`https://RINK.hockeyapp.net/manage/apps/${ID}/`, DEFAULT_HOCKEYAPP_URL, `https://rink.hockeyapp.net/manage/apps/${ID}`],
    [`https://rink.hockeyapp.net/apps/${ID}`, DEFAULT_HOCKEYAPP_URL, `https://rink.hockeyapp.net/manage/apps/${ID}`],
    [`http://127.0.0.1:9/x/manage/apps/${ID}`, DEFAULT_HOCKEYAPP_URL, `http://127.0.0.1:9/x/manage/apps/${ID}`],
  ])('%s (base %s) → %s', (input, base, expected) => {
    expect(hockeyappLocation(input, base)).toBe(expected)
  })

  it.each([
    ['not an id', /is not a HockeyApp App ID/],
    ['user/repo', /is not a HockeyApp App ID/],
    ['ftp://rink.hockeyapp.net/manage/apps/1', /only http and https URLs are/],
    ['https://rink.hockeyapp.net/manage/apps/', /is not a HockeyApp app URL/],
    ['https://rink.hockeyapp.net/manage/apps/1?x=1', /is not a HockeyApp app URL/],
    ['https://rink.hockeyapp.net/manage/apps/1/app_versions/2', /is not a HockeyApp app URL/],
    ['https://me:secret@rink.hockeyapp.net/manage/apps/1', /must not carry credentials/],
  ])('refuses %s', (input, message) => {
    expect(() => hockeyappLocation(input, DEFAULT_HOCKEYAPP_URL)).toThrow(message)
  })
})

describe('parseAppUrl and appVersionsUrl', () => {
  it('splits a stored location into the server base and the App ID', () => {
    expect(parseAppUrl(`https://rink.hockeyapp.net/manage/apps/${ID}`)).toEqual({base: 'https://rink.hockeyapp.net', appId: ID})
    expect(parseAppUrl('http://127.0.0.1:8080/p/manage/apps/42')).toEqual({base: 'http://127.0.0.1:8080/p', appId: '42'})
  })

  it('lists versions with their direct build URLs', () => {
    expect(appVersionsUrl({base: 'https://rink.hockeyapp.net', appId: ID})).toBe(
      `https://rink.hockeyapp.net/api/2/apps/${ID}/app_versions?include_build_urls=true`,
    )
  })
})

describe('hockeyappBaseUrl and mayReceiveToken', () => {
  it('takes DKT_HOCKEYAPP_URL, then the hockeyapp.url setting, then rink.hockeyapp.net', () => {
    expect(hockeyappBaseUrl({}, {})).toBe('https://rink.hockeyapp.net')
    expect(hockeyappBaseUrl({'hockeyapp.url': 'https://h.example.com/'}, {})).toBe('https://h.example.com')
    expect(hockeyappBaseUrl({'hockeyapp.url': 'https://h.example.com'}, {DKT_HOCKEYAPP_URL: 'http://127.0.0.1:1'})).toBe('http://127.0.0.1:1')
  })

  it('sends the token to the configured server only', () => {
    expect(mayReceiveToken({base: 'https://rink.hockeyapp.net', appId: ID}, 'https://rink.hockeyapp.net/')).toBe(true)
    expect(mayReceiveToken({base: 'https://rink.hockeyapp.net', appId: ID}, 'https://RINK.hockeyapp.net')).toBe(true)
    expect(mayReceiveToken({base: 'http://127.0.0.1:8080', appId: ID}, 'https://rink.hockeyapp.net')).toBe(false)
    expect(mayReceiveToken({base: 'https://rink.hockeyapp.net.evil.com', appId: ID}, 'https://rink.hockeyapp.net')).toBe(false)
  })
})
