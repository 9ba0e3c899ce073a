import {availableParallelism} from 'node:os'
import {Flags} from '@oclif/core'

import {InvalidArgumentError} from '../base/errors.js'
import {machineName} from '../base/host.js'
import {DktCommand} from '../cli/base-command.js'
import {SchedulerPrinter} from '../cli/scheduler-render.js'
import {defaultLabels} from '../core/labels.js'
import {isValidWorkerName} from '../core/remote/shared-refs.js'
import {RemoteWorker} from '../scheduler/remote-worker.js'
import {runScheduler} from '../scheduler/scheduler.js'

/** What a bare `--remote` (no name) becomes: oclif has no optional flag values (see normalisedArgv). */
const REMOTE_FROM_SETTING = '='

/** `--remote` not followed by a name (last, or before another flag) gets the setting's remote. Pure. */
export function normalisedArgv(argv: string[]): string[] {
  return argv.map((arg, i) => (arg === '--remote' && (i + 1 >= argv.length || argv[i + 1].startsWith('-')) ? `--remote=${REMOTE_FROM_SETTING}` : arg))
}

export default class Scheduler extends DktCommand {
  static override summary = 'Watch the sources and run every node that is due, in dependency order (foreground).'
  static override description = `Local sources (path, local git) are watched; remote ones are polled (every 60 s for git; set
scheduler.poll.KIND in .dkt/config, or --interval). A node is due when every input has a version and no run exists on
those versions. Ctrl-C stops starting runs and waits for the running ones; a second Ctrl-C cancels them.`
  static override examples = [
    '<%= config.bin %> scheduler',
    '<%= config.bin %> scheduler --once --concurrency 2',
    '<%= config.bin %> scheduler --labels osx,test',
    '<%= config.bin %> scheduler --remote --name linux-1 --labels linux,x64',
  ]
  // Events are printed as they happen (one JSON object per line with --json), not as one result at the end.
  static override enableJsonFlag = false
  static override flags = {
    once: Flags.boolean({description: 'run until nothing is due, then exit (0 if every run succeeded, 1 otherwise)'}),
    labels: Flags.string({description: `labels of this worker, comma-separated (default: ${defaultLabels().join(',')})`}),
    concurrency: Flags.integer({description: 'runs at once (default: number of CPUs)', min: 1}),
    interval: Flags.integer({description: 'polling interval for remote sources, in seconds', min: 1}),
    json: Flags.boolean({description: 'print events as JSON lines'}),
    remote: Flags.string({description: 'work with other machines through this git remote of the metadata (alone: the sync.remote setting, default origin)'}),
    name: Flags.string({description: 'this worker\'s name among the workers of the remote (default: the host name)'}),
    lease: Flags.integer({description: 'seconds without a heartbeat after which other workers take this worker\'s claims over (default 180)', min: 1}),
    heartbeat: Flags.integer({description: 'seconds between two heartbeats (default 30)', min: 1}),
    observe: Flags.boolean({description: 'poll the remote sources (default: when no other live worker does)', allowNo: true}),
  }

  async run() {
    const {flags} = await this.parse(Scheduler, normalisedArgv(this.argv))
    const remote = await this.remoteWorker(flags)
    const stop = new AbortController()
    const cancel = new AbortController()
    const interrupt = () => (stop.signal.aborted ? cancel.abort() : stop.abort())
    process.on('SIGINT', interrupt)
    process.on('SIGTERM', interrupt)
    const labels = this.labels(flags.labels)
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
        remote,
      })
      printer.end(result)
      if (result.failed > 0) process.exitCode = 1
    } finally {
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
    }
  }

  /** The remote worker of `--remote`, its flags checked (one sentence, exit 2, for a bad one); undefined without it. */
  private async remoteWorker(flags: {remote?: string; name?: string; lease?: number; heartbeat?: number; observe?: boolean; labels?: string; concurrency?: number}) {
    const remoteOnly = (['name', 'lease', 'heartbeat', 'observe'] as const).filter((flag) => flags[flag] !== undefined)
    if (flags.remote === undefined) {
      if (remoteOnly.length > 0) throw new InvalidArgumentError(`--${remoteOnly[0]} is for remote workers: add --remote`)
      return undefined
    }
    const name = flags.name ?? machineName()
    if (!isValidWorkerName(name)) {
      throw new InvalidArgumentError(`\`${name}\` is not a valid worker name: use letters, digits, \`.\`, \`_\` and \`-\` (up to 100), not starting with \`.\` or \`-\`${flags.name === undefined ? '; pass --name' : ''}`)
    }
    const leaseSeconds = flags.lease ?? 180
    const heartbeatSeconds = flags.heartbeat ?? 30
    if (heartbeatSeconds >= leaseSeconds) throw new InvalidArgumentError(`--heartbeat (${heartbeatSeconds} s) must be shorter than --lease (${leaseSeconds} s), or other workers would take this one's claims over between two beats`)
    return RemoteWorker.open(this.repo, {
      remote: flags.remote === REMOTE_FROM_SETTING ? undefined : flags.remote,
      name,
      host: machineName(),
      labels: this.labels(flags.labels),
      concurrency: flags.concurrency ?? availableParallelism(),
      leaseSeconds,
      heartbeatSeconds,
      observe: flags.observe,
      dktVersion: this.config.version,
    })
  }

  private labels(given: string | undefined): string[] {
    return given ? given.split(',').map((l) => l.trim()).filter(Boolean) : defaultLabels()
  }
}
