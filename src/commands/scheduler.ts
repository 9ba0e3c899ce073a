import {availableParallelism} from 'node:os'
import {Flags} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {SchedulerPrinter} from '../cli/scheduler-render.js'
import {defaultLabels} from '../core/labels.js'
import {runScheduler} from '../scheduler/scheduler.js'

export default class Scheduler extends DktCommand {
  static override summary = 'Watch the sources and run every node that is due, in dependency order (foreground).'
  static override description = `Local sources (path, local git) are watched; remote ones are polled (every 60 s for git; set
scheduler.poll.KIND in .dkt/config, or --interval). A node is due when every input has a version and no run exists on
those versions. Ctrl-C stops starting runs and waits for the running ones; a second Ctrl-C cancels them.`
  static override examples = [
    '<%= config.bin %> scheduler',
    '<%= config.bin %> scheduler --once --concurrency 2',
    '<%= config.bin %> scheduler --labels osx,test',
  ]
  // Events are printed as they happen (one JSON object per line with --json), not as one result at the end.
  static override enableJsonFlag = false
  static override flags = {
    once: Flags.boolean({description: 'run until nothing is due, then exit (0 if every run succeeded, 1 otherwise)'}),
    labels: Flags.string({description: `labels of this worker, comma-separated (default: ${defaultLabels().join(',')})`}),
    concurrency: Flags.integer({description: 'runs at once (default: number of CPUs)', min: 1}),
    interval: Flags.integer({description: 'polling interval for remote sources, in seconds', min: 1}),
    json: Flags.boolean({description: 'print events as JSON lines'}),
  }

  async run() {
    const {flags} = await this.parse(Scheduler)
    const stop = new AbortController()
    const cancel = new AbortController()
    const interrupt = () => (stop.signal.aborted ? cancel.abort() : stop.abort())
    process.on('SIGINT', interrupt)
    process.on('SIGTERM', interrupt)
    const labels = flags.labels ? flags.labels.split(',').map((l) => l.trim()).filter(Boolean) : defaultLabels()
    const printer = new SchedulerPrinter({json: flags.json, live: process.stderr.isTTY === true})
    try {
      const result = await runScheduler(this.repo, {
        labels,
        concurrency: flags.concurrency ?? availableParallelism(),
        once: flags.once,
        intervalSeconds: flags.interval,
        dktVersion: this.config.version,
        stop: stop.signal,
        cancel: cancel.signal,
        onEvent: (event) => printer.print(event),
      })
      printer.end(result)
      if (result.failed > 0) process.exitCode = 1
    } finally {
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
    }
  }
}
