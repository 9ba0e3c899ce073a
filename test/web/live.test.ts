// Live logs: a running command's output reaches the web view over Server-Sent Events within a second, whole lines
// only and redacted, through a file its process writes (no process talks to another).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {MetaRepo} from '../../src/core/meta-repo.js'
import {liveLogFile, openLiveLog, readLiveLog} from '../../src/core/node/live-log.js'
import {projectAt} from '../../src/core/project.js'
import {createApp} from '../../src/web/app.js'
import {dktOk, startDkt} from '../helpers/cli.js'
import {newProject, writeFiles} from '../helpers/project.js'

const SECRET = 'hunter2-private-value'

describe('the live log file', () => {
  it('keeps whole lines only, each redacted, even when a secret is split across two chunks', async () => {
    const project = projectAt(await newProject())
    const run = 'a'.repeat(64)
    const live = openLiveLog(project, run, [SECRET])
    const passedOn: string[] = []
    const listener = live.tee((_stream, chunk) => passedOn.push(chunk.toString()))
    listener('stdout', Buffer.from('one\nkey hunter2-pri'))
    expect(readFileSync(liveLogFile(project, run), 'utf8')).toBe('one\n')
    listener('stderr', Buffer.from('vate-value end\npartial'))
    expect(readLiveLog(project, run)).toEqual({text: 'one\nkey *** end\n', next: 16})
    expect(readLiveLog(project, run, 4)).toEqual({text: 'key *** end\n', next: 16})
    expect(passedOn.join('')).toBe(`one\nkey ${SECRET} end\npartial`)
    live.close()
    expect(readLiveLog(project, run)).toBeUndefined()
    expect(() => liveLogFile(project, '../../config')).toThrow(/not a run ID/)
  })
})

interface SseEvent {
  event: string
  data: string
  at: number
}

/** Reads Server-Sent Events from a response until an `end` event (or the deadline). */
async function readEvents(response: Response, deadline: number): Promise<SseEvent[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  const events: SseEvent[] = []
  let buffer = ''
  while (Date.now() < deadline) {
    const {value, done} = await reader.read()
    if (done) break
    buffer += decoder.decode(value, {stream: true})
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const field = (name: string) => block.split('\n').filter((line) => line.startsWith(`${name}: `)).map((line) => line.slice(name.length + 2)).join('\n')
      events.push({event: field('event'), data: field('data'), at: Date.now()})
      if (field('event') === 'end') {
        await reader.cancel()
        return events
      }
    }
  }
  await reader.cancel()
  return events
}

describe('live logs over SSE', () => {
  it.each([
    ['dkt node run', false],
    ['dkt scheduler', true],
  ])('a run started by `%s` streams its lines within a second, redacted, then ends', async (_starter, bySchedule) => {
    const dir = await newProject()
    await dktOk(['config', 'set', 'api.key', SECRET], {cwd: dir})
    writeFiles(dir, {
      'secret.txt': `${SECRET}\n`,
      // Each line carries the time it was printed (ms), to measure how long it takes to reach the page.
      'slow.sh': '#!/bin/sh\nfor i in 1 2 3 4 5; do echo "line $i $(date +%s%3N)"; sleep 0.4; done\necho "key $(cat secret.txt)"\necho "<b>done</b>"\n',
    })
    const app = createApp({repo: new MetaRepo(projectAt(dir))})
    const get = (url: string) => app.request(`http://localhost${url}`)
    if (bySchedule) await dktOk(['node', 'run', '--detach', '--', 'sh', 'slow.sh'], {cwd: dir})
    const running = bySchedule ? startDkt(['scheduler', '--once'], {cwd: dir}) : startDkt(['node', 'run', '--', 'sh', 'slow.sh'], {cwd: dir})
    try {
      let run: {id: string; node: string} | undefined
      const deadline = Date.now() + 20_000
      while (!run && Date.now() < deadline) {
        const {runs} = (await (await get('/runs?status=running&format=json')).json()) as {runs: {id: string; node: string}[]}
        run = runs[0]
        if (!run) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      if (!run) throw new Error(`no running run appeared: ${running.stderr}`)
      const page = await (await get(`/runs/${run.node}/${run.id}`)).text()
      expect(page).toMatch(/data-events="\/runs\/[0-9a-f]{64}\/[0-9a-f]{64}\/events\?from=\d+"/)
      expect(page).toContain('<noscript><meta http-equiv="refresh" content="5"></noscript>')

      const openedAt = Date.now()
      const events = await readEvents(await get(`/runs/${run.node}/${run.id}/events`), Date.now() + 30_000)
      const outputs = events.filter((event) => event.event === 'output')
      const text = outputs.map((event) => JSON.parse(event.data) as string).join('')
      expect(text).toMatch(/^line 1 \d+\nline 2 \d+\nline 3 \d+\nline 4 \d+\nline 5 \d+\nkey \*\*\*\n<b>done<\/b>\n$/)
      expect(text).not.toContain(SECRET)
      expect(events.at(-1)?.event).toBe('end')
      // Lines printed while the page watched arrived within a second of being printed.
      const late = outputs.flatMap((event) =>
        [...(JSON.parse(event.data) as string).matchAll(/^line \d (\d+)$/gm)].filter((match) => Number(match[1]) >= openedAt).map((match) => event.at - Number(match[1])),
      )
      expect(late.length).toBeGreaterThan(0)
      expect(late.every((ms) => ms < 1000), `delays ${late.join(', ')} ms`).toBe(true)
      expect(await running.exited).toBe(0)

      const saved = await (await get(`/runs/${run.node}/${run.id}`)).text()
      expect(saved).not.toContain('data-events=')
      expect(saved).toContain('&lt;b&gt;done&lt;/b&gt;')
      expect(saved).not.toContain(SECRET)
    } finally {
      running.child.kill('SIGTERM')
    }
  })
})
