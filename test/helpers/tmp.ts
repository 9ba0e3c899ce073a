// Temporary folders for tests, removed when the test process exits.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

const created: string[] = []
process.on('exit', () => {
  for (const dir of created) rmSync(dir, {recursive: true, force: true})
})

export function tempDir(prefix = 'dkt-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  created.push(dir)
  return dir
}
