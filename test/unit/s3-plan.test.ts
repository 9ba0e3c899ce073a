import {describe, expect, it} from 'vitest'

import {planSync} from '../../src/kinds/s3/plan.js'
import {diskLayout} from '../../src/kinds/s3/transfer.js'

const MD5_A = '0cc175b9c0f1b6a831c399e269772661'
const MD5_B = '92eb5ffee6ae2fec3ad71c777531578f'

describe('publishing plan (sync --delete)', () => {
  const known = new Map([
    ['a.txt', {size: 1, etag: 'e-a', md5: MD5_A}],
    ['b.txt', {size: 1, etag: 'e-b', md5: MD5_B}],
  ])
  const remote = [
    {key: 'a.txt', size: 1, etag: 'e-a'},
    {key: 'b.txt', size: 1, etag: 'e-b'},
  ]

  it('skips files the bucket holds as dkt last saw them, uploads the rest, deletes what is gone', () => {
    const local = new Map([
      ['a.txt', {size: 1, md5: MD5_A}],
      ['c.txt', {size: 1, md5: MD5_B}],
    ])
    expect(planSync({local, localFolders: new Set(), remote, known})).toEqual({uploads: ['c.txt'], deletes: ['b.txt'], unchanged: 1})
  })

  it('uploads a changed file even when its size is the same', () => {
    const local = new Map([
      ['a.txt', {size: 1, md5: MD5_B}],
      ['b.txt', {size: 1, md5: MD5_B}],
    ])
    expect(planSync({local, localFolders: new Set(), remote, known})).toEqual({uploads: ['a.txt'], deletes: [], unchanged: 1})
  })

  it('uploads when the object changed in the bucket since dkt read it (its ETag moved)', () => {
    const local = new Map([
      ['a.txt', {size: 1, md5: MD5_A}],
      ['b.txt', {size: 1, md5: MD5_B}],
    ])
    const moved = [remote[0], {key: 'b.txt', size: 1, etag: 'e-other'}]
    expect(planSync({local, localFolders: new Set(), remote: moved, known}).uploads).toEqual(['b.txt'])
  })

  it('never takes an ETag for a content md5: an unknown object is uploaded even if its ETag is the md5', () => {
    const local = new Map([['x.txt', {size: 1, md5: MD5_A}]])
    const plan = planSync({local, localFolders: new Set(), remote: [{key: 'x.txt', size: 1, etag: MD5_A}], known: new Map()})
    expect(plan.uploads).toEqual(['x.txt'])
  })

  it('keeps folder markers while the folder exists', () => {
    const markers = [
      {key: '', size: 0, etag: 'm0'},
      {key: 'kept/', size: 0, etag: 'm1'},
      {key: 'gone/', size: 0, etag: 'm2'},
    ]
    const plan = planSync({local: new Map(), localFolders: new Set(['kept']), remote: markers, known: new Map()})
    expect(plan).toEqual({uploads: [], deletes: ['gone/'], unchanged: 0})
  })

  it('does nothing when nothing changed (publishing is idempotent)', () => {
    const local = new Map([
      ['a.txt', {size: 1, md5: MD5_A}],
      ['b.txt', {size: 1, md5: MD5_B}],
    ])
    expect(planSync({local, localFolders: new Set(), remote, known})).toEqual({uploads: [], deletes: [], unchanged: 2})
  })
})

describe('disk layout of a listing', () => {
  const place = {bucket: 'bkt', prefix: 'p/'}

  it('splits files from folder markers', () => {
    const layout = diskLayout(
      [
        {key: 'a/b.txt', size: 1, etag: 'x'},
        {key: 'a/', size: 0, etag: 'y'},
        {key: '', size: 0, etag: 'z'},
      ],
      place,
    )
    expect(layout).toEqual({files: [{key: 'a/b.txt', size: 1, etag: 'x'}], folders: ['a']})
  })

  it('refuses keys that cannot be paths, and a file that is also a folder', () => {
    expect(() => diskLayout([{key: '../x', size: 1, etag: 'x'}], place)).toThrow(/`p\/\.\.\/x` in bucket `bkt` cannot be a file name/)
    expect(() =>
      diskLayout(
        [
          {key: 'a', size: 1, etag: 'x'},
          {key: 'a/b', size: 1, etag: 'y'},
        ],
        place,
      ),
    ).toThrow(/cannot both be files/)
  })
})
