// table(): its own layout of plain cells is exactly cli-table3's, which still lays out every other table.
import {describe, expect, it} from 'vitest'

import {cliTable3, table} from '../../src/cli/render.js'

/** A deterministic pseudo-random printable-ASCII word (spaces and punctuation included). */
function word(seed: number): string {
  let x = seed * 2654435761
  const length = x % 13
  let text = ''
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    text += String.fromCharCode(32 + (x % 95))
  }
  return text
}

describe('table', () => {
  it('lays out plain cells as cli-table3 does', () => {
    for (let n = 0; n < 40; n++) {
      const columns = 1 + (n % 5)
      const head = Array.from({length: columns}, (_, c) => `COL${c}`.repeat(1 + ((n + c) % 3)))
      const rows = Array.from({length: n % 9}, (_, r) => Array.from({length: columns}, (_, c) => word(n * 100 + r * 10 + c) || '-'))
      expect(table(head, rows)).toBe(cliTable3([head, ...rows]))
    }
  })

  it('shows a missing cell as -', () => {
    expect(table(['A', 'B'], [['x', ''], [null, undefined]])).toBe('A  B\nx  -\n-  -')
  })

  it('leaves wide characters and multi-line cells to cli-table3', () => {
    const rows = [['données', '数据'], ['a\nb', 'c']]
    expect(table(['NAME', 'V'], rows)).toBe(cliTable3([['NAME', 'V'], ...rows]))
  })
})
