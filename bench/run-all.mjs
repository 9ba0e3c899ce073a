// Runs every bench/*.bench.mjs in name order, each in its own node process; exits non-zero if any fails.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort()

let failed = 0
for (const file of files) {
  console.log(`\n=== ${file}`)
  const result = spawnSync(process.execPath, [path.join(benchDir, file)], {stdio: 'inherit'})
  if (result.status !== 0) {
    failed++
    console.error(`${file} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`)
  }
}
if (failed > 0) process.exit(1)
