import {Flags} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {table} from '../cli/render.js'
import {shortId} from '../core/ids.js'
import {ageText} from '../core/label-waits.js'
import {listWorkers, type WorkerView} from '../core/remote/fleet.js'

/** `3f2a91c0/5b6c7d8e` per run it holds a claim on or its last beat names. */
function runsText(worker: WorkerView): string {
  const runs = [...worker.claims, ...worker.running].map((run) => `${shortId(run.node)}/${shortId(run.run)}`)
  return [...new Set(runs)].join(',')
}

export default class Workers extends DktCommand {
  static override summary = "List the workers of the project's remote: labels, host, what they run, heartbeat age."
  static override description = `Fetches the workers' heartbeats and claims from the remote (one git fetch), else shows them as last fetched.
A worker is live while its last beat is at most its lease old: ages compare the worker's clock with this machine's, so
they are approximate when clocks differ.`
  static override examples = ['<%= config.bin %> workers', '<%= config.bin %> workers --remote backup --no-fetch']
  static override flags = {
    remote: Flags.string({description: 'the remote whose workers to list (default: sync.remote, else origin)'}),
    fetch: Flags.boolean({description: 'fetch the heartbeats first (--no-fetch: as last fetched)', default: true, allowNo: true}),
  }

  async run() {
    const {flags} = await this.parse(Workers)
    const fleet = await listWorkers(this.repo, {remote: flags.remote, fetch: flags.fetch, now: new Date()})
    // On stderr also under --json, as every warning.
    if (fleet.warning) process.stderr.write(`Warning: ${fleet.warning}\n`)
    if (fleet.workers.length === 0) this.log(`no workers on ${fleet.remote}`)
    else {
      const rows = fleet.workers.map((w) => [w.name, w.labels.join(','), w.host, runsText(w), `${ageText(w.ageSeconds)} ago`, w.live ? 'live' : 'lost', w.observe ? 'yes' : 'no'])
      this.log(table(['NAME', 'LABELS', 'HOST', 'RUNS', 'BEAT', 'STATE', 'OBSERVE'], rows))
    }
    return fleet
  }
}
