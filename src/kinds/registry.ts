// Every kind dkt knows: its declaration (read synchronously: flags, polling, messages) and its driver, imported lazily
// so that a command only pays for the kinds it touches. Adding a kind: its folder, its import and its line in KINDS.
import {UnknownKindError} from '../base/errors.js'
import type {KindDeclaration, KindDriver, SecretDeclaration} from './driver.js'
import {declaration as docker} from './docker/declaration.js'
import {declaration as git} from './git/declaration.js'
import {declaration as github} from './github/declaration.js'
import {declaration as hockeyapp} from './hockeyapp/declaration.js'
import {declaration as path} from './path/declaration.js'
import {declaration as s3} from './s3/declaration.js'

type DriverModule = () => Promise<{driver: KindDriver}>

/** In the order help texts and `init`'s flags list them. */
const KINDS: readonly (readonly [KindDeclaration, DriverModule])[] = [
  [git, () => import('./git/index.js')],
  [github, () => import('./github/index.js')],
  [path, () => import('./path/index.js')],
  [docker, () => import('./docker/index.js')],
  [s3, () => import('./s3/index.js')],
  [hockeyapp, () => import('./hockeyapp/index.js')],
]

const BY_NAME = new Map(KINDS.map(([declaration, load]) => [declaration.name, {declaration, load}]))

export const KNOWN_KINDS: readonly string[] = KINDS.map(([declaration]) => declaration.name)

function entryOf(kind: string): {declaration: KindDeclaration; load: DriverModule} {
  const entry = BY_NAME.get(kind)
  if (!entry) throw new UnknownKindError(`unknown kind \`${kind}\`; supported kinds: ${[...KNOWN_KINDS].sort().join(', ')}`, {kind})
  return entry
}

export function assertKind(kind: string): void {
  entryOf(kind)
}

export function declarationOf(kind: string): KindDeclaration {
  return entryOf(kind).declaration
}

/**
 * The kinds a stored source can have (not shorthands such as github) whose declaration says `which`, in registry
 * order: e.g. the kinds a run may write.
 */
export function storedKindsWhere(which: (declaration: KindDeclaration) => boolean | undefined): string[] {
  return KINDS.filter(([declaration]) => !declaration.storedAs && which(declaration)).map(([declaration]) => declaration.name)
}

/** `git, path or s3`: kind names in a sentence. */
export function listKinds(kinds: readonly string[]): string {
  return kinds.length < 2 ? kinds.join('') : `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}`
}

/** Every secret of every kind, in registry order: what `.dkt/secrets/` may hold and `init` / `clone` take. */
export const SECRETS: readonly SecretDeclaration[] = KINDS.flatMap(([declaration]) => declaration.secrets)

// Each import() call resolves the module again even when it is loaded (about half a millisecond): a scheduler
// asks for the driver of every input and output of every run.
const loaded = new Map<string, Promise<KindDriver>>()

export async function loadDriver(kind: string): Promise<KindDriver> {
  const {load} = entryOf(kind)
  let driver = loaded.get(kind)
  if (!driver) {
    driver = load().then((module) => module.driver)
    // A failed import is not kept: the next call tries again.
    driver.catch(() => loaded.delete(kind))
    loaded.set(kind, driver)
  }
  return driver
}
