import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import type {TransferProgress} from '../../src/kinds/driver.js'
import {chunkTap, downloadHashed, progressReporter} from '../../src/kinds/progress.js'
import {tempDir} from '../helpers/tmp.js'

describe('transfer progress and hashed downloads', () => {
  it('reports the end at once, with every byte and file done, and a total never below what moved', () => {
    const reports: TransferProgress[] = []
    const progress = progressReporter('x', 2, 10, (p) => reports.push(p))
    progress.bytes(4)
    progress.file()
    progress.done()
    expect(reports.at(-1)).toEqual({what: 'x', doneBytes: 10, totalBytes: 10, doneFiles: 2, totalFiles: 2})
    const unknownSize = progressReporter('y', 1, 0, (p) => reports.push(p))
    unknownSize.bytes(7)
    unknownSize.done()
    expect(reports.at(-1)).toEqual({what: 'y', doneBytes: 7, totalBytes: 7, doneFiles: 1, totalFiles: 1})
  })

  it('a tap hands every chunk to a reader that comes late, and tells of each once', async () => {
    const seen: number[] = []
    const source = Readable.from([Buffer.from('ab'), Buffer.from('cd')])
    const tap = chunkTap((chunk) => seen.push(chunk.length))
    source.pipe(tap)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const read: Buffer[] = []
    for await (const chunk of tap) read.push(chunk as Buffer)
    expect(Buffer.concat(read).toString()).toBe('abcd')
    expect(seen).toEqual([2, 2])
  })

  it('writes a download to a file, or nowhere, returning its md5 and size', async () => {
    const content = Buffer.from('hello, build\n')
    const md5 = createHash('md5').update(content).digest('hex')
    const file = path.join(tempDir(), 'f')
    const chunks: number[] = []
    expect(await downloadHashed(Readable.from([content]), file, {onChunk: (c) => chunks.push(c.length)})).toEqual({md5, bytes: content.length})
    expect(readFileSync(file)).toEqual(content)
    expect(chunks).toEqual([content.length])
    expect(await downloadHashed(Readable.from([content]), undefined)).toEqual({md5, bytes: content.length})
  })
})
