// What local and container runs share: output captured and streamed, a cancel that sends SIGTERM and SIGKILL after
// a grace period, and the outcome built from how the command ended.
import {BoundedCapture} from './capture.js'
import {CANCELLED_BY_USER, type OutputListener, type RunOutcome} from './outcome.js'

export interface SuperviseOptions {
  signal?: AbortSignal
  onOutput?: OutputListener
  captureLimit?: number
  /** How long a cancelled command has between SIGTERM and SIGKILL. */
  killGraceMs?: number
}

/** Sends a signal to everything the command started; a command already gone is no error. */
export type SendSignal = (signal: 'SIGTERM' | 'SIGKILL') => void

const DEFAULT_KILL_GRACE_MS = 5000

/** One command from its start to its outcome; `dispose` once it has ended. */
export class CommandSupervisor {
  readonly startedAt = new Date()
  private readonly capture: BoundedCapture
  private cancelled = false
  private killTimer: NodeJS.Timeout | undefined
  private cancel: (() => void) | undefined

  constructor(private readonly options: SuperviseOptions) {
    this.capture = new BoundedCapture(options.captureLimit)
  }

  /** A listener for one of the command's streams: its chunks are captured and passed on. */
  forward(stream: 'stdout' | 'stderr'): (chunk: Buffer) => void {
    return (chunk) => {
      this.capture.add(chunk)
      this.options.onOutput?.(stream, chunk)
    }
  }

  /** From now on (and at once if it is already aborted), the abort signal stops the command through `send`. */
  stopOnAbort(send: SendSignal): void {
    this.cancel = () => {
      this.cancelled = true
      send('SIGTERM')
      this.killTimer = setTimeout(() => send('SIGKILL'), this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS)
    }
    if (this.options.signal?.aborted) this.cancel()
    this.options.signal?.addEventListener('abort', this.cancel, {once: true})
  }

  get wasCancelled(): boolean {
    return this.cancelled
  }

  /** The outcome of a command that ran and ended: cancelled when it was stopped, else by its exit code. */
  ended(exitCode: number | null, signal: string | null): RunOutcome {
    if (this.cancelled) return {...this.captured(), status: 'cancelled', exitCode, signal, reason: CANCELLED_BY_USER}
    return {...this.captured(), status: exitCode === 0 ? 'success' : 'failure', exitCode, signal, reason: null}
  }

  /** The outcome of a command that could not run; `reason` is one sentence. */
  failed(reason: string): RunOutcome {
    return {...this.captured(), status: 'error', exitCode: null, signal: null, reason}
  }

  dispose(): void {
    if (this.killTimer) clearTimeout(this.killTimer)
    if (this.cancel) this.options.signal?.removeEventListener('abort', this.cancel)
  }

  private captured() {
    return {output: this.capture.text(), truncated: this.capture.truncated, startedAt: this.startedAt, endedAt: new Date()}
  }
}
