/// <reference lib="dom" />
// A real Chromium (Debian's `chromium`, driven by playwright-core; no browser is ever downloaded), axe-core checks,
// and a `dkt serve` started for a test.
import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import * as path from 'node:path'
import {type Browser, chromium, type Page} from 'playwright-core'

import {REPO_ROOT, startDkt, type StartedDkt} from './cli.js'

export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'web')

/** The system's Chromium; a missing one fails with the line that installs it (never a skip). */
export function chromiumPath(): string {
  const candidates = [process.env.DKT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => Boolean(c))
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['--version'], {stdio: 'ignore'})
      return candidate
    } catch {
      // try the next one
    }
  }
  throw new Error('no Chromium found (tried DKT_CHROMIUM, /usr/bin/chromium); install it with `sudo scripts/install-deps.sh`')
}

export function launchBrowser(): Promise<Browser> {
  // As root (CI containers), Chromium's sandbox cannot start.
  return chromium.launch({executablePath: chromiumPath(), args: process.getuid?.() === 0 ? ['--no-sandbox'] : []})
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe-core's violations on the page as it is now: rule id and the first offending element of each. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({content: AXE_SOURCE})
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as {axe: {run: () => Promise<{violations: {id: string; nodes: {html: string}[]}[]}>}}).axe.run()
    return result.violations.map((v) => `${v.id}: ${v.nodes[0]?.html ?? ''}`)
  })
  return violations
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, {recursive: true})
  await page.screenshot({path: path.join(ARTIFACTS, `${name}.png`), fullPage: true})
}

/** `dkt serve --port 0` in `cwd`, once it has printed its URL. */
export async function startServe(cwd: string, args: string[] = []): Promise<{url: string; server: StartedDkt}> {
  const server = startDkt(['serve', '--port', '0', ...args], {cwd})
  const deadline = Date.now() + 30_000
  while (!server.stdout.includes('\n')) {
    if (Date.now() > deadline) throw new Error(`dkt serve printed no URL: ${server.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {url: server.stdout.split('\n')[0].replace(/\/$/, ''), server}
}
