// Starts `dkt scheduler --json` in the background and follows its events, with deadlines instead of sleeps.
import {type ChildProcess, spawn} from 'node:child_process'

import {RUN_JS, testEnv} from './cli.js'
import {waitFor} from './git-daemon.js'

export interface SchedulerEvent {
  type: string
  [key: string]: unknown
}

export interface RunningScheduler {
  child: ChildProcess
  events: SchedulerEvent[]
  stderr: () => string
  /** Waits until an event matching `match` has been printed. */
  until(match: (event: SchedulerEvent) => boolean, what: string, timeoutMs?: number): Promise<SchedulerEvent>
  exited: Promise<number | null>
}

export function startScheduler(cwd: string, args: string[] = [], env: Record<string, string> = {}): RunningScheduler {
  const child = spawn(process.execPath, [RUN_JS, 'scheduler', '--json', ...args], {cwd, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  const events: SchedulerEvent[] = []
  let buffered = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as SchedulerEvent)
  })
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    async until(match, what, timeoutMs = 30_000) {
      await waitFor(() => events.some(match), `${what} (events so far: ${events.map((e) => e.type).join(', ')}; stderr: ${stderr})`, timeoutMs)
      return events.find(match) as SchedulerEvent
    },
  }
}
