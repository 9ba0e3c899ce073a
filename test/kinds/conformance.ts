// The driver conformance suite: one table of cases (as Concourse git-resource's test/check.sh) that every kind
// passes against its real server, calling the driver directly with a DriverContext.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'

import {makeVersion, type Version, versionAlgorithm, versionHex} from '../../src/base/version.js'
import type {DriverContext, KindDriver, SourceSpec} from '../../src/kinds/driver.js'
import {hashTree} from '../../src/kinds/path/hash-tree.js'
import {declarationOf, loadDriver} from '../../src/kinds/registry.js'
import {tempDir} from '../helpers/tmp.js'

/** A source of the kind under test on its server, with one version already there. */
export interface Subject {
  /** What a user gives `dkt source add` (the suite stores what `resolve` makes of it). */
  input: {location: string; tag?: string}
  /** `/`-rooted sub-path, for kinds that take one. */
  path?: string
  ctx: DriverContext
  /** Makes the server hold a new, different version of the source (a commit, a push, an upload…). */
  advance(): Promise<void>
}

export interface KindUnderTest {
  kind: string
  /** A variant of the kind's sources, shown in the test names (`local repository`, `git daemon`…). */
  variant?: string
  /** Whether older versions stay valid once newer ones exist (git commits, hockeyapp builds); else only the current one is. */
  keepsOlderVersions: boolean
  /** A fresh source (its own repository, bucket, app…), so that the cases do not see each other's versions. */
  subject(): Promise<Subject>
}

/** A new DriverContext for a test, with its own cache and base folders. */
export function testContext(settings: Record<string, string> = {}, secrets: Record<string, string> = {}): DriverContext {
  const root = tempDir('dkt-kind-')
  return {cacheDir: path.join(root, 'cache'), baseDir: path.join(root, 'project'), settings, secrets}
}

interface Prepared {
  driver: KindDriver
  source: SourceSpec
  subject: Subject
}

async function prepare(kind: KindUnderTest): Promise<Prepared> {
  const driver = await loadDriver(kind.kind)
  const subject = await kind.subject()
  mkdirSync(subject.ctx.baseDir, {recursive: true})
  const resolved = await driver.resolve({...subject.input, cwd: subject.ctx.baseDir}, subject.ctx)
  const source: SourceSpec = {name: 'conformance', kind: resolved.kind, location: resolved.location, tag: resolved.tag, path: subject.path}
  return {driver, source, subject}
}

async function latestOf({driver, source, subject}: Prepared): Promise<Version> {
  const versions = await driver.check(source, undefined, subject.ctx)
  expect(versions).toHaveLength(1)
  return versions[0]
}

/** Three versions, oldest → newest: the first one and two advances. */
async function threeVersions(prepared: Prepared): Promise<Version[]> {
  const versions = [await latestOf(prepared)]
  for (let i = 0; i < 2; i++) {
    await prepared.subject.advance()
    versions.push(await latestOf(prepared))
  }
  expect(new Set(versions).size).toBe(3)
  return versions
}

/** A version in the kind's format that no server holds. */
function bogusLike(version: Version): Version {
  return makeVersion(versionAlgorithm(version), randomBytes(versionHex(version).length / 2).toString('hex'))
}

/** Writes the same files into a folder prepared for output and publishes them. */
async function publishFiles(prepared: Prepared, files: Record<string, string>): Promise<Version> {
  const {driver, source, subject} = prepared
  const dir = tempDir('dkt-output-')
  const fields = await (driver.prepareOutput as NonNullable<KindDriver['prepareOutput']>)(source, dir, subject.ctx)
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(fields.ROOT, rel)), {recursive: true})
    writeFileSync(path.join(fields.ROOT, rel), content)
  }
  return (driver.publish as NonNullable<KindDriver['publish']>)(source, dir, subject.ctx, {message: 'dkt conformance'})
}

interface Case {
  name: string
  /** Whether the case applies to a kind (read-only kinds have no publish to test). */
  applies: (kind: KindUnderTest) => boolean
  run: (prepared: Prepared, kind: KindUnderTest) => Promise<void>
}

const writable = (kind: KindUnderTest) => declarationOf(kind.kind).writable
const always = () => true

const CASES: Case[] = [
  {
    name: 'declares what the rest of dkt reads of it, and its driver agrees',
    applies: always,
    async run({driver, source}, kind) {
      const declaration = declarationOf(kind.kind)
      expect(declaration.name).toBe(kind.kind)
      expect(driver.kind).toBe(declaration.storedAs ?? declaration.name)
      expect(source.kind).toBe(declaration.storedAs ?? declaration.name)
      expect(Boolean(driver.prepareOutput && driver.publish)).toBe(declaration.writable)
      expect(Boolean(declaration.providesImage)).toBe(driver.fields.includes('IMAGE'))
      expect(declaration.pollSeconds).toBeGreaterThan(0)
      for (const secret of declaration.secrets) expect(secret.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(driver.logColumns ?? []).toEqual(expect.not.arrayContaining(['ID', 'FULL']))
    },
  },
  {
    name: 'check with no version gives only the latest',
    applies: always,
    async run(prepared) {
      const [, , latest] = await threeVersions(prepared)
      expect(await prepared.driver.check(prepared.source, undefined, prepared.subject.ctx)).toEqual([latest])
    },
  },
  {
    name: 'check with the latest version gives just that version',
    applies: always,
    async run(prepared) {
      await prepared.subject.advance()
      const latest = await latestOf(prepared)
      expect(await prepared.driver.check(prepared.source, latest, prepared.subject.ctx)).toEqual([latest])
    },
  },
  {
    name: 'check with an older version gives it and every newer one, oldest first (or only the latest, if the older one is no longer valid)',
    applies: always,
    async run(prepared, kind) {
      const [first, second, latest] = await threeVersions(prepared)
      const {driver, source, subject} = prepared
      expect(await driver.check(source, first, subject.ctx)).toEqual(kind.keepsOlderVersions ? [first, second, latest] : [latest])
      expect(await driver.check(source, second, subject.ctx)).toEqual(kind.keepsOlderVersions ? [second, latest] : [latest])
    },
  },
  {
    name: 'check with a bogus version gives only the latest',
    applies: always,
    async run(prepared) {
      await prepared.subject.advance()
      const latest = await latestOf(prepared)
      expect(await prepared.driver.check(prepared.source, bogusLike(latest), prepared.subject.ctx)).toEqual([latest])
    },
  },
  {
    name: 'fetch gives exactly the declared fields, ROOT an existing folder',
    applies: always,
    async run(prepared) {
      const {driver, source, subject} = prepared
      const latest = await latestOf(prepared)
      const fields = await driver.fetch(source, latest, path.join(tempDir('dkt-fetch-'), 'dir'), subject.ctx)
      expect(Object.keys(fields).sort()).toEqual([...driver.fields].sort())
      if (driver.fields.includes('ROOT')) expect(existsSync(fields.ROOT)).toBe(true)
      // Values are strings (a whole bucket's PREFIX is the empty one).
      for (const value of Object.values(fields)) expect(typeof value).toBe('string')
    },
  },
  {
    name: 'fetch of an older, still valid version materializes that version, not the latest',
    applies: (kind) => kind.keepsOlderVersions,
    async run(prepared) {
      const [first, , latest] = await threeVersions(prepared)
      const contentOf = async (version: Version) => {
        const fields = await prepared.driver.fetch(prepared.source, version, path.join(tempDir('dkt-fetch-'), 'dir'), prepared.subject.ctx)
        return (await hashTree(fields.ROOT)).version
      }
      const old = await contentOf(first)
      expect(old).not.toBe(await contentOf(latest))
      expect(await contentOf(first)).toBe(old)
    },
  },
  {
    name: 'publishing the same content twice gives the same version, which check then reports',
    applies: writable,
    async run(prepared) {
      const files = {'result.txt': `same ${randomBytes(4).toString('hex')}\n`, 'sub/more.txt': 'more\n'}
      const first = await publishFiles(prepared, files)
      const second = await publishFiles(prepared, files)
      expect(second).toBe(first)
      expect(await prepared.driver.check(prepared.source, undefined, prepared.subject.ctx)).toEqual([first])
    },
  },
  {
    name: 'a read-only kind has no publish',
    applies: (kind) => !writable(kind),
    async run({driver}) {
      expect(driver.publish).toBeUndefined()
      expect(driver.prepareOutput).toBeUndefined()
    },
  },
]

/** Runs every case that applies to `kind` against its real server. */
export function conformanceSuite(kind: KindUnderTest): void {
  describe(`${kind.kind} driver conformance${kind.variant ? ` (${kind.variant})` : ''}`, () => {
    for (const testCase of CASES.filter((c) => c.applies(kind))) {
      it(testCase.name, async () => testCase.run(await prepare(kind), kind))
    }
  })
}
