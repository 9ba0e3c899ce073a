import {describe, expect, it} from 'vitest'

import {listingDigest, normalizeEtag} from '../../src/kinds/s3/listing.js'

describe('s3 listing digests (golden)', () => {
  it('an empty listing is md5 of nothing, as an empty path source is', () => {
    expect(listingDigest([])).toBe('md5:d41d8cd98f00b204e9800998ecf8427e')
  })

  it('hashes ETAG SIZE KEY lines in byte order of the keys', () => {
    const objects = [
      {key: 'sub/b.txt', size: 5, etag: '7d793037a0760186574b0282f2f435e7'},
      {key: 'a.txt', size: 5, etag: '5d41402abc4b2a76b9719d911017c592'},
    ]
    // md5("5d41… 5 a.txt\n7d79… 5 sub/b.txt\n"), computed independently with Python's hashlib
    expect(listingDigest(objects)).toBe('md5:f67ca01e509e08103b2a388ec7644f8c')
    expect(listingDigest([...objects].reverse())).toBe('md5:f67ca01e509e08103b2a388ec7644f8c')
  })

  it('orders keys by UTF-8 bytes, not by locale', () => {
    const objects = [
      {key: 'é', size: 3, etag: 'e3'},
      {key: 'a', size: 2, etag: 'e2'},
      {key: 'Z', size: 1, etag: 'e1'},
    ]
    expect(listingDigest(objects)).toBe('md5:8572102a1fd0bbffd0d118c0c97404e8')
  })

  it('orders a key beyond the BMP after U+FF61, as UTF-8 bytes do (UTF-16 code units would not)', () => {
    const objects = [
      {key: '\u{1F600}', size: 1, etag: 'e1'},
      {key: '\uFF61', size: 2, etag: 'e2'},
    ]
    // md5("e2 2 \uFF61\ne1 1 \u{1F600}\n") with Python's hashlib
    expect(listingDigest(objects)).toBe('md5:d8391c72a22b6bbd78683f7b23599c84')
    expect(listingDigest([...objects].reverse())).toBe('md5:d8391c72a22b6bbd78683f7b23599c84')
  })

  it('takes a multipart ETag as it is, never as a content md5', () => {
    expect(listingDigest([{key: 'big.bin', size: 10, etag: 'abc-2'}])).toBe('md5:3fc8877c3d5d37b30da6ae2d3d4fa738')
  })

  it('changes with a key, a size or an ETag', () => {
    const base = {key: 'a', size: 1, etag: 'x'}
    const digests = new Set([
      listingDigest([base]),
      listingDigest([{...base, key: 'b'}]),
      listingDigest([{...base, size: 2}]),
      listingDigest([{...base, etag: 'y'}]),
    ])
    expect(digests.size).toBe(4)
  })

  it('strips the quotes S3 puts around ETags', () => {
    expect(normalizeEtag('"5d41402abc4b2a76b9719d911017c592"')).toBe('5d41402abc4b2a76b9719d911017c592')
    expect(normalizeEtag('W/"abc-3"')).toBe('abc-3')
    expect(normalizeEtag('plain')).toBe('plain')
    expect(normalizeEtag(undefined)).toBe('')
  })
})
