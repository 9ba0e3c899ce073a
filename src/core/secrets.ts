// Tokens in `.dkt/secrets/` (directory 0700, files 0600): never committed, never printed, never passed to git add.
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

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

export async function readSecrets(project: Project): Promise<Secrets> {
  const secrets: Secrets = {}
  // One listing instead of one failed open per absent token: most projects have none or one, and a run reads
  // the secrets each time.
  const present = new Set(await fs.readdir(project.secretsDir).catch(() => [] as string[]))
  for (const name of SECRET_NAMES) {
    if (!present.has(name)) continue
    try {
      secrets[name] = (await fs.readFile(path.join(project.secretsDir, name), 'utf8')).trim()
    } catch {
      // removed meanwhile: absent
    }
  }
  return secrets
}
