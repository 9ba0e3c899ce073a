/// <reference lib="dom" />
// The web view in a real Chromium: every page walked by role and text, a provenance link followed, a live log
// watched growing, axe-core with zero violations in light and dark, readable at 360 px; a screenshot of each page.
import {writeFileSync} from 'node:fs'
import * as path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dkt, dktJson, dktOk, startDkt, type StartedDkt} from '../helpers/cli.js'
import {axeViolations, launchBrowser, screenshot, startServe} from '../helpers/browser.js'
import {waitFor} from '../helpers/git-daemon.js'
import {newProject, writeFiles} from '../helpers/project.js'

interface Ran {
  node: string
  run: {id: string}
}

let dir: string
let url: string
let server: StartedDkt
let browser: Browser
let context: BrowserContext
let made: Ran
let failed: Ran

beforeAll(async () => {
  dir = await newProject()
  writeFiles(dir, {'data/x': '1', 'hostile/x': '1', 'out/.keep': '', 'fail.sh': "#!/bin/sh\necho '<script>alert(1)</script>'\nexit 3\n"})
  await dktOk(['source', 'add', 'data', 'data'], {cwd: dir})
  await dktOk(['source', 'add', '<script>', 'hostile'], {cwd: dir})
  await dktOk(['source', 'add', 'out', 'out'], {cwd: dir})
  made = await dktJson<Ran>(['node', 'run', '--input', 'data', '--output', 'out', '--', 'sh', '-c', 'cat "${data:ROOT}/x" > "${out:ROOT}/f"; echo made'], {cwd: dir})
  failed = JSON.parse((await dkt(['node', 'run', '--json', '--input', '<script>', '--', 'sh', 'fail.sh'], {cwd: dir})).stdout) as Ran
  ;({url, server} = await startServe(dir))
  browser = await launchBrowser()
  // axe-core is injected as an inline script, which the pages' Content-Security-Policy forbids.
  context = await browser.newContext({bypassCSP: true})
})

afterAll(async () => {
  await browser?.close()
  server?.child.kill('SIGTERM')
})

async function open(path: string): Promise<Page> {
  const page = await context.newPage()
  const response = await page.goto(`${url}${path}`)
  expect(response?.status(), path).toBe(200)
  return page
}

describe('in a browser', () => {
  it('walks every page by its links, and follows a provenance link back to the run', async () => {
    const page = await open('/')
    await expect(page.getByRole('heading', {level: 1, name: 'Project'}).isVisible()).resolves.toBe(true)
    await page.getByRole('navigation', {name: 'main'}).getByRole('link', {name: 'Runs'}).click()
    await page.getByRole('heading', {level: 1, name: 'Runs'}).waitFor()
    await page.getByRole('link', {name: failed.run.id.slice(0, 8)}).first().click()
    await page.getByRole('heading', {name: 'Why it ran'}).waitFor()
    expect(await page.locator('#L1').textContent()).toBe('1<script>alert(1)</script>')
    await page.getByRole('navigation', {name: 'main'}).getByRole('link', {name: 'Sources'}).click()
    await page.getByRole('link', {name: '<script>'}).click()
    await page.getByRole('heading', {level: 1, name: 'Source <script>'}).waitFor()
    await page.getByRole('navigation', {name: 'main'}).getByRole('link', {name: 'Sources'}).click()
    await page.getByRole('link', {name: 'out', exact: true}).click()
    // The version's provenance, then its run through the provenance's list of entries.
    await page.locator('tr[id^="v-"]').first().getByRole('link', {description: /^provenance of /}).click()
    await page.getByRole('heading', {level: 1, name: /^Provenance of out:/}).waitFor()
    expect(await page.locator('svg[role="img"] a').count()).toBeGreaterThan(1)
    await page.getByRole('listitem').filter({hasText: 'run '}).getByRole('link', {name: made.run.id.slice(0, 8)}).click()
    await page.waitForURL(`${url}/runs/${made.node}/${made.run.id}`)
    await page.getByRole('navigation', {name: 'main'}).getByRole('link', {name: 'Nodes'}).click()
    await page.getByRole('link', {name: made.node.slice(0, 8)}).first().click()
    await page.getByRole('heading', {level: 1, name: `Node ${made.node.slice(0, 8)}`}).waitFor()
    await page.getByRole('navigation', {name: 'main'}).getByRole('link', {name: 'Graph'}).click()
    await page.getByRole('heading', {level: 1, name: /^Pipeline/}).waitFor()
    await page.close()
  })

  it('highlights a range of log lines (#L1-L2)', async () => {
    const page = await open(`/runs/${made.node}/${made.run.id}#L1-L1`)
    await page.waitForSelector('#L1.hl')
    await page.close()
  })

  it('watches a live log grow while the run is going, then shows the saved log', async () => {
    writeFiles(dir, {'slow.sh': '#!/bin/sh\nfor i in 1 2 3 4 5 6; do echo "step $i"; sleep 0.5; done\n'})
    const running = startDkt(['node', 'run', '--', 'sh', 'slow.sh'], {cwd: dir})
    try {
      let run: {id: string; node: string} | undefined
      for (const deadline = Date.now() + 20_000; !run && Date.now() < deadline; ) {
        run = ((await (await fetch(`${url}/runs?status=running&format=json`)).json()) as {runs: {id: string; node: string}[]}).runs[0]
        if (!run) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      if (!run) throw new Error(`no running run: ${running.stderr}`)
      const page = await open(`/runs/${run.node}/${run.id}`)
      const before = await page.locator('#log span.line').count()
      await page.locator('#L4').waitFor({timeout: 10_000})
      expect(running.child.exitCode).toBeNull()
      expect(await page.locator('#log span.line').count()).toBeGreaterThan(before)
      // When the run is recorded the page reloads with the saved log.
      await page.waitForFunction(() => !document.querySelector('#log[data-events]'), undefined, {timeout: 20_000})
      expect(await page.locator('#L6').textContent()).toBe('6step 6')
      await page.close()
    } finally {
      running.child.kill('SIGTERM')
    }
  })

  it('reruns a failed run with actions on, through its confirmation page', async () => {
    const acting = await startServe(dir, ['--allow-actions'])
    try {
      const page = await context.newPage()
      await page.goto(`${acting.url}/runs/${failed.node}/${failed.run.id}`)
      await page.getByRole('link', {name: 'Rerun…'}).click()
      await page.getByRole('heading', {level: 1, name: 'Rerun'}).waitFor()
      await page.getByRole('button', {name: 'Rerun'}).click()
      await page.waitForURL((target) => target.pathname.startsWith(`/runs/${failed.node}/`) && !target.pathname.endsWith(failed.run.id) && !target.pathname.endsWith('/rerun'))
      await page.getByRole('heading', {level: 1, name: /^Run [0-9a-f]{8}$/}).waitFor()
      // The page of the new attempt reloads itself once its run has ended: read it again until it says so.
      const attempt = () =>
        page.getByText('Attempt', {exact: true}).evaluate((term) => term.nextElementSibling?.textContent, undefined, {timeout: 2000}).catch(() => undefined)
      await waitFor(async () => (await attempt()) === '2', 'the new attempt\'s page', 20_000)
      await page.close()
    } finally {
      acting.server.child.kill('SIGTERM')
    }
  })

  const pages = () => [
    ['home', '/'],
    ['runs', '/runs'],
    ['run', `/runs/${failed.node}/${failed.run.id}`],
    ['nodes', '/nodes'],
    ['node', `/nodes/${made.node}`],
    ['sources', '/sources'],
    ['source', '/sources/out'],
    ['graph', '/graph?whole=1'],
  ]

  for (const scheme of ['light', 'dark'] as const) {
    it(`every page has no axe-core violations in the ${scheme} scheme`, async () => {
      const found: string[] = []
      for (const [name, path] of pages()) {
        const page = await open(path)
        await page.emulateMedia({colorScheme: scheme})
        found.push(...(await axeViolations(page)).map((v) => `${path}: ${v}`))
        await screenshot(page, `${name}-${scheme}`)
        await page.close()
      }
      expect(found).toEqual([])
      // axe takes seconds per page on a loaded 2-core machine; ten pages can pass the suite's 60 s default.
    }, 180_000)
  }

  it('is readable 360 px wide: nothing makes the page scroll sideways', async () => {
    const narrow = await browser.newContext({viewport: {width: 360, height: 740}})
    const wide: string[] = []
    for (const [name, path] of pages()) {
      const page = await narrow.newPage()
      await page.goto(`${url}${path}`)
      if (await page.evaluate(() => document.documentElement.scrollWidth > 360)) wide.push(path)
      await screenshot(page, `${name}-360px`)
      await page.close()
    }
    await narrow.close()
    expect(wide).toEqual([])
  })
})

// The artifacts folder is named in the suite's output, for a person looking for the screenshots.
afterAll(() => writeFileSync(path.join(process.cwd(), 'test-artifacts', 'web', 'README.txt'), 'Screenshots of each page of dkt serve (light, dark, 360 px), from test/web/browser.test.ts.\n'))
