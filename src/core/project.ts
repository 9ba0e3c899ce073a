// A dkt project: a folder with a `.dkt/` inside, found by walking up from a directory, like git.
import {existsSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import {BrokenMetadataError, NotAProjectError, UnsupportedFormatError} from '../base/errors.js'

export const DKT_DIR = '.dkt'
export const FORMAT = 1

export interface Project {
  /** Absolute path of the folder that holds `.dkt/`. */
  root: string
  /** Absolute path of `.dkt/` (the metadata repository's work tree). */
  dktDir: string
  /** Absolute path of `.dkt/cache/`: never committed, always safe to delete. */
  cacheDir: string
  /** Absolute path of `.dkt/secrets/`: tokens, mode 0600, never committed. */
  secretsDir: string
}

export function projectAt(root: string): Project {
  const dktDir = path.join(root, DKT_DIR)
  return {root, dktDir, cacheDir: path.join(dktDir, 'cache'), secretsDir: path.join(dktDir, 'secrets')}
}

/**
 * A folder holding a `.dkt/` folder is a project root, as `.git/` makes a git work tree: the innermost one wins and is
 * never skipped. One without its `format` file is a broken project, never a reason to walk on to an outer project.
 */
function isProjectRoot(dir: string): boolean {
  const dkt = path.join(dir, DKT_DIR)
  if (!existsSync(dkt) || !statSync(dkt).isDirectory()) return false
  if (!existsSync(path.join(dkt, 'format'))) {
    throw new BrokenMetadataError(`\`${dkt}\` has no \`format\` file, so the project is broken; restore it with \`git -C ${dkt} checkout -- format\``, {
      data: {file: 'format', dir},
    })
  }
  return true
}

/** A project written by a newer dkt (a higher `format`) is refused rather than misread. */
function assertFormat(root: string): void {
  const format = Number(readFileSync(path.join(root, DKT_DIR, 'format'), 'utf8').trim())
  if (!Number.isInteger(format) || format > FORMAT) {
    throw new UnsupportedFormatError(`the project in ${root} uses metadata format ${format}, newer than this dkt (format ${FORMAT}); upgrade dkt`)
  }
}

/** Walks up from `cwd` to the nearest folder holding `.dkt/`; throws NotAProjectError when there is none. */
export function findProject(cwd: string): Project {
  let dir = path.resolve(cwd)
  for (;;) {
    if (isProjectRoot(dir)) {
      assertFormat(dir)
      return projectAt(dir)
    }
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new NotAProjectError(`not a dkt project (or any of the parent directories of ${path.resolve(cwd)}); run \`dkt init\` first`, {
    cwd,
  })
}
