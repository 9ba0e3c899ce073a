// Tokens in `.dkt/secrets/` (directory 0700, files 0600): never committed, never printed, never passed to git add.
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

import {stampSettled, statStamp} from '../base/file-stamp.js'
import type {Secrets} from '../kinds/driver.js'
import {SECRETS} from '../kinds/registry.js'
import type {Project} from './project.js'

export type {Secrets} from '../kinds/driver.js'

/** The tokens the kinds declare, by the file name they are kept under. */
const SECRET_NAMES = SECRETS.map((secret) => secret.name)

export async function writeSecrets(project: Project, secrets: Secrets): Promise<string[]> {
  const written: string[] = []
  await fs.mkdir(project.secretsDir, {recursive: true, mode: 0o700})
  await fs.chmod(project.secretsDir, 0o700)
  for (const name of SECRET_NAMES) {
    const value = secrets[name]
    if (value === undefined) continue
    const file = path.join(project.secretsDir, name)
    // Create with 0600 from the start (no window where the token is world-readable), then enforce it.
    await fs.writeFile(file, `${value}\n`, {mode: 0o600})
    await fs.chmod(file, 0o600)
    written.push(name)
  }
  return written
}

/** The secrets as last read, with the stamps of their folder and files then (see fileStamp). */
let cached: {dir: string; stamp: string; secrets: Secrets} | undefined

/** A change time this recent may stay the same at the next write (the kernel's clock is coarse): not cached. */
const RECENT_MS = 1000

/**
 * A file's or folder's stamp (statStamp); undefined when it changed too recently to tell. The folder's changes when a
 * token is added or removed, a token file's when it is rewritten. A scheduler reads the secrets at every run: a stat
 * each instead of a listing and a read per token.
 */
function fileStamp(file: string): string | undefined {
  const stamp = statStamp(file)
  return stampSettled(stamp, Date.now() - RECENT_MS) ? stamp : undefined
}

function secretsStamp(dir: string, names: string[]): string | undefined {
  const parts = [dir, ...names.map((name) => path.join(dir, name))].map(fileStamp)
  return parts.every((part) => part !== undefined) ? parts.join(' ') : undefined
}

export async function readSecrets(project: Project): Promise<Secrets> {
  const dir = project.secretsDir
  if (cached?.dir === dir && secretsStamp(dir, Object.keys(cached.secrets)) === cached.stamp) return {...cached.secrets}
  // Stamped before reading: a change made meanwhile changes the stamp, and the next call reads again.
  const stamps = [fileStamp(dir)]
  const secrets: Secrets = {}
  // One listing instead of one failed open per absent token: most projects have none or one.
  const present = new Set(await fs.readdir(dir).catch(() => [] as string[]))
  for (const name of SECRET_NAMES) {
    if (!present.has(name)) continue
    const file = path.join(dir, name)
    const stamp = fileStamp(file)
    try {
      secrets[name] = (await fs.readFile(file, 'utf8')).trim()
      stamps.push(stamp)
    } catch {
      // removed meanwhile: absent
    }
  }
  cached = stamps.every((stamp) => stamp !== undefined) ? {dir, stamp: stamps.join(' '), secrets} : undefined
  return {...secrets}
}
