import {describe, expect, it} from 'vitest'

import {s3Settings} from '../../src/kinds/s3/client.js'
import {keyPath, normalizeS3Location, parseS3Location, s3Place} from '../../src/kinds/s3/location.js'

describe('s3 locations', () => {
  it('reads a bucket name or s3://bucket/prefix', () => {
    expect(parseS3Location('my-bucket')).toEqual({bucket: 'my-bucket', prefix: ''})
    expect(parseS3Location('s3://my-bucket')).toEqual({bucket: 'my-bucket', prefix: ''})
    expect(parseS3Location('s3://my-bucket/')).toEqual({bucket: 'my-bucket', prefix: ''})
    expect(parseS3Location('s3://my-bucket/raw/v1/')).toEqual({bucket: 'my-bucket', prefix: 'raw/v1/'})
    expect(parseS3Location('s3://my-bucket//raw//v1')).toEqual({bucket: 'my-bucket', prefix: 'raw/v1/'})
  })

  it('stores the location without a trailing slash', () => {
    expect(normalizeS3Location('my-bucket')).toBe('my-bucket')
    expect(normalizeS3Location('s3://my-bucket/')).toBe('s3://my-bucket')
    expect(normalizeS3Location('s3://my-bucket/raw/')).toBe('s3://my-bucket/raw')
  })

  it('rejects what cannot be a bucket or a prefix', () => {
    expect(() => parseS3Location('ab')).toThrow(/not an S3 bucket name/)
    expect(() => parseS3Location('s3://')).toThrow(/not an S3 bucket name/)
    expect(() => parseS3Location('has space')).toThrow(/not an S3 bucket name/)
    expect(() => parseS3Location('s3://b-1/a/../x')).toThrow(/`\.` or `\.\.`/)
  })

  it('adds the sub-path after the location prefix', () => {
    expect(s3Place('bkt', '/p')).toEqual({bucket: 'bkt', prefix: 'p/'})
    expect(s3Place('s3://bkt/raw', '/v1/x')).toEqual({bucket: 'bkt', prefix: 'raw/v1/x/'})
    expect(s3Place('s3://bkt/raw', undefined)).toEqual({bucket: 'bkt', prefix: 'raw/'})
    expect(s3Place('bkt', undefined)).toEqual({bucket: 'bkt', prefix: ''})
  })

  it('maps keys to files, folders, or refuses them', () => {
    expect(keyPath('a/b.txt')).toEqual({kind: 'file', path: 'a/b.txt'})
    expect(keyPath('a/')).toEqual({kind: 'folder', path: 'a'})
    expect(keyPath('')).toEqual({kind: 'folder', path: ''})
    expect(keyPath('a//b').kind).toBe('unsafe')
    expect(keyPath('/a').kind).toBe('unsafe')
    expect(keyPath('../a').kind).toBe('unsafe')
    expect(keyPath('a/./b').kind).toBe('unsafe')
  })
})

describe('s3 settings', () => {
  it('defaults to AWS in us-east-1 with virtual-hosted buckets', () => {
    expect(s3Settings({})).toEqual({endpoint: undefined, region: 'us-east-1', forcePathStyle: false, timeoutMs: 60_000})
  })

  it('uses path-style addressing with a custom endpoint unless told otherwise', () => {
    expect(s3Settings({'s3.endpoint': 'http://127.0.0.1:9000/'})).toEqual({endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, timeoutMs: 60_000})
    expect(s3Settings({'s3.endpoint': 'https://s3.example', 's3.path-style': 'false', 's3.region': 'eu-west-1'})).toEqual({
      endpoint: 'https://s3.example',
      region: 'eu-west-1',
      forcePathStyle: false,
      timeoutMs: 60_000,
    })
    expect(s3Settings({'s3.path-style': 'yes'}).forcePathStyle).toBe(true)
    expect(s3Settings({'s3.timeout': '2.5'}).timeoutMs).toBe(2500)
  })

  it('rejects a bad endpoint, path-style or timeout value with the command that fixes it', () => {
    expect(() => s3Settings({'s3.endpoint': '127.0.0.1:9000'})).toThrow(/dkt config set s3.endpoint URL/)
    expect(() => s3Settings({'s3.path-style': 'maybe'})).toThrow(/dkt config set s3.path-style true/)
    for (const timeout of ['0', '-1', 'soon']) expect(() => s3Settings({'s3.timeout': timeout})).toThrow(/dkt config set s3.timeout 60/)
  })
})
