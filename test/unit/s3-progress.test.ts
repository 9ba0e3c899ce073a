import {describe, expect, it} from 'vitest'

import {progressLine, terminalProgress} from '../../src/cli/progress.js'

describe('transfer progress line', () => {
  it('shows files, bytes in the unit of the total, and a percentage', () => {
    expect(progressLine({what: 's3://b/p/', doneFiles: 3, totalFiles: 8, doneBytes: 3_400_000, totalBytes: 10_000_000})).toBe('s3://b/p/: 3/8 files, 3.4/10.0 MB (34%)')
    expect(progressLine({what: 's3://b/', doneFiles: 0, totalFiles: 1, doneBytes: 12, totalBytes: 900})).toBe('s3://b/: 0/1 files, 12/900 B (1%)')
    expect(progressLine({what: 's3://b/', doneFiles: 0, totalFiles: 0, doneBytes: 0, totalBytes: 0})).toBe('s3://b/: 0/0 files, 0/0 B (100%)')
  })

  it('draws nothing for a transfer whose first report is its end, and clears the line at the end of a long one', () => {
    let written = ''
    const stream = {columns: 80, write: (text: string) => (written += text)} as unknown as NodeJS.WriteStream
    const draw = terminalProgress(stream)
    draw({what: 'short', doneFiles: 1, totalFiles: 1, doneBytes: 5, totalBytes: 5})
    expect(written).toBe('')
    draw({what: 'long', doneFiles: 0, totalFiles: 2, doneBytes: 5, totalBytes: 10})
    draw({what: 'long', doneFiles: 2, totalFiles: 2, doneBytes: 10, totalBytes: 10})
    expect(written).toBe('\r\u001B[Klong: 0/2 files, 5/10 B (50%)\r\u001B[Klong: 2/2 files, 10/10 B (100%)\r\u001B[K')
  })
})
