// Builds test projects in one call: a fresh `dkt init`, optionally with path sources already added.
import {mkdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'

import {dktOk} from './cli.js'
import {tempDir} from './tmp.js'

/** A new folder with `dkt init` done in it. */
export async function newProject(args: string[] = []): Promise<string> {
  const dir = tempDir('dkt-proj-')
  await dktOk(['init', ...args], {cwd: dir})
  return dir
}

/** Writes files (relative path → content) under `root`. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content)
  }
}
