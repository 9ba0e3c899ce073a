// What the commands that execute runs share: Ctrl-C handling and where a run's output goes.
import type {Command} from '@oclif/core'

import type {ExecuteOptions} from '../core/node/execute.js'
import {runEventLine} from './run-render.js'

/**
 * Execution options for a command: the first Ctrl-C (or SIGTERM) cancels the running command, whose run is still
 * recorded (`cancelled`). With --json, the run's own output goes to stderr so that stdout holds only the result.
 */
export function executeOptions(command: Command, json: boolean): Omit<ExecuteOptions, 'force' | 'recorder'> & {dispose(): void} {
  const controller = new AbortController()
  const abort = () => controller.abort()
  process.on('SIGINT', abort)
  process.on('SIGTERM', abort)
  return {
    dktVersion: command.config.version,
    signal: controller.signal,
    onOutput: (stream, chunk) => (json || stream === 'stderr' ? process.stderr : process.stdout).write(chunk),
    onEvent: (event) => {
      const line = runEventLine(event)
      if (line) process.stderr.write(`${line}\n`)
    },
    dispose() {
      process.off('SIGINT', abort)
      process.off('SIGTERM', abort)
    },
  }
}
