// Kind name → driver, loaded lazily so a command only pays for the kinds it touches. Adding a kind: one line here.
import {UnknownKindError} from '../base/errors.js'
import type {KindDriver} from './driver.js'

const LOADERS: Record<string, () => Promise<{driver: KindDriver}>> = {
  docker: () => import('./docker/index.js'),
  git: () => import('./git/index.js'),
  github: () => import('./github/index.js'),
  hockeyapp: () => import('./hockeyapp/index.js'),
  path: () => import('./path/index.js'),
  s3: () => import('./s3/index.js'),
}

export const KNOWN_KINDS = Object.keys(LOADERS)

export function assertKind(kind: string): void {
  if (kind in LOADERS) return
  throw new UnknownKindError(`unknown kind \`${kind}\`; supported kinds: ${KNOWN_KINDS.join(', ')}`, {kind})
}

// Each import() call resolves the module again even when it is loaded (about half a millisecond): a scheduler
// asks for the driver of every input and output of every run.
const loaded = new Map<string, Promise<KindDriver>>()

export async function loadDriver(kind: string): Promise<KindDriver> {
  assertKind(kind)
  let driver = loaded.get(kind)
  if (!driver) {
    driver = LOADERS[kind]().then((module) => module.driver)
    // A failed import is not kept: the next call tries again.
    driver.catch(() => loaded.delete(kind))
    loaded.set(kind, driver)
  }
  return driver
}
