// Off-by-default timing of named phases (`DKT_PROFILE=FILE`, see the README): where a process's time goes between
// claiming, preparing, the command, hashing, writing, fsync and git. Disabled, a mark costs one check.
import {readFileSync} from 'node:fs'

interface PhaseTotal {
  /** Wall-clock milliseconds spent in the phase, summed over its occurrences (these overlap between concurrent runs). */
  ms: number
  count: number
}

export interface ProfileReport {
  format: 1
  /** From startProfile() to the report. */
  wallMs: number
  /** CPU time of this process (its own threads). */
  cpu: {userMs: number; systemMs: number}
  /** CPU time of the child processes it has waited for (git, the commands); null where /proc is missing. */
  children: {userMs: number; systemMs: number} | null
  phases: Record<string, PhaseTotal>
}

let phases: Map<string, PhaseTotal> | undefined
let startedAt = 0
let cpuAtStart: NodeJS.CpuUsage = {user: 0, system: 0}
let childrenAtStart: ProfileReport['children'] = null

export function startProfile(): void {
  phases = new Map()
  startedAt = performance.now()
  cpuAtStart = process.cpuUsage()
  childrenAtStart = childrenCpu()
}

/** Adds `ms` to a phase (no-op unless profiling). */
export function addToPhase(phase: string, ms: number): void {
  if (!phases) return
  const total = phases.get(phase)
  if (total) {
    total.ms += ms
    total.count++
  } else phases.set(phase, {ms, count: 1})
}

/** Awaits `work`, counting its wall time to `phase`. */
export async function profiled<T>(phase: string, work: () => Promise<T>): Promise<T> {
  if (!phases) return work()
  const begun = performance.now()
  try {
    return await work()
  } finally {
    addToPhase(phase, performance.now() - begun)
  }
}

/** Runs synchronous `work` (a process spawn blocks the thread), counting its time to `phase`. */
export function profiledSync<T>(phase: string, work: () => T): T {
  if (!phases) return work()
  const begun = performance.now()
  try {
    return work()
  } finally {
    addToPhase(phase, performance.now() - begun)
  }
}

/** The totals so far; undefined unless profiling. */
export function profileReport(): ProfileReport | undefined {
  if (!phases) return undefined
  const round = (ms: number) => Math.round(ms * 1000) / 1000
  const cpu = process.cpuUsage(cpuAtStart)
  const children = childrenCpu()
  return {
    format: 1,
    wallMs: round(performance.now() - startedAt),
    cpu: {userMs: round(cpu.user / 1000), systemMs: round(cpu.system / 1000)},
    children:
      children && childrenAtStart
        ? {userMs: round(children.userMs - childrenAtStart.userMs), systemMs: round(children.systemMs - childrenAtStart.systemMs)}
        : null,
    phases: Object.fromEntries([...phases].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, {ms, count}]) => [name, {ms: round(ms), count}])),
  }
}

// Linux: fields 16 and 17 of /proc/self/stat (cutime, cstime) in clock ticks, 100 per second on every platform
// Node runs on; the command name (field 2) may hold spaces, so fields are counted after its closing parenthesis.
const TICK_MS = 10

function childrenCpu(): ProfileReport['children'] {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {userMs: Number(fields[13]) * TICK_MS, systemMs: Number(fields[14]) * TICK_MS}
  } catch {
    return null
  }
}
