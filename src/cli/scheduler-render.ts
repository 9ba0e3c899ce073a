// What the scheduler prints: one line per event (new version, run started, run finished with status and
// duration), a live summary line on a terminal, or JSON lines for machines.
import type {SchedulerEvent, SchedulerResult} from '../scheduler/scheduler.js'
import {shortId} from '../core/ids.js'
import {shortVersion} from '../base/version.js'
import {durationText} from './render.js'
import {versionsText} from './run-render.js'

export class SchedulerPrinter {
  private liveShown = false

  constructor(private readonly options: {json: boolean; live: boolean}) {}

  private line(text: string): void {
    if (this.liveShown) process.stderr.write('\r\u001B[2K')
    this.liveShown = false
    process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`)
  }

  print(event: SchedulerEvent): void {
    if (this.options.json) {
      if (event.type !== 'summary') process.stdout.write(`${JSON.stringify({time: new Date().toISOString(), ...event})}\n`)
      return
    }
    switch (event.type) {
      case 'version-found': {
        const on = event.ref ? ` on ${event.ref}` : ''
        this.line(`new version  ${event.source}:${shortVersion(event.version)}${on}${event.previous ? ` (was ${shortVersion(event.previous)})` : ''}`)
        break
      }
      case 'ref-gone':
        this.line(`ref gone     ${event.source} ${event.ref} (was ${shortVersion(event.version)}); no longer followed`)
        break
      case 'source-error':
        this.line(`unreachable  ${event.source}: ${event.message} (retry in ${event.retryInSeconds} s)`)
        break
      case 'recovered':
        for (const run of event.runs) this.line(`interrupted  run ${shortId(run.id)} of node ${shortId(run.node)} recorded as error; due again`)
        break
      case 'run-started':
        this.line(`started      run ${shortId(event.run.id)} of node ${shortId(event.run.node)} on ${versionsText(event.run.inputs)}${event.run.ref ? ` (${event.run.ref})` : ''}`)
        break
      case 'run-finished': {
        const exit = event.run.exitCode === null ? '' : ` (exit ${event.run.exitCode})`
        this.line(`${event.run.status.padEnd(12)} run ${shortId(event.run.id)} of node ${shortId(event.run.node)}${exit} in ${durationText(event.durationMs)}; outputs ${versionsText(event.run.outputs)}`)
        break
      }
      case 'run-error':
        this.line(`error        node ${shortId(event.node)}: ${event.message}`)
        break
      case 'stopping':
        this.line(`stopping     waiting for ${event.running} running run(s); Ctrl-C again to cancel them`)
        break
      case 'remote-pushed':
        this.line(`pushed       ${event.runs} run record(s) to the remote${event.attempts > 1 ? ` (${event.attempts} attempts)` : ''}`)
        break
      case 'remote-unreachable':
        this.line(`unreachable  ${event.message}; starting nothing new, records stay here until it is back`)
        break
      case 'remote-back':
        this.line('remote back  pushing what was recorded meanwhile; starting runs again')
        break
      case 'claim-taken-over':
        this.line(`taken over   run ${shortId(event.run)} of node ${shortId(event.node)} from lost worker ${event.worker}; recorded as error, due again`)
        break
      case 'fenced':
        if (this.liveShown) process.stderr.write('\r\u001B[2K')
        this.liveShown = false
        process.stderr.write(`Warning: run ${shortId(event.run)} of node ${shortId(event.node)} was fenced: another worker took its claim over, so its record is not pushed (a copy is in .dkt/cache/fenced/)\n`)
        break
      case 'summary':
        if (this.options.live) {
          process.stderr.write(`\r\u001B[2K[running ${event.running} | pending ${event.pending} | done ${event.done}${event.failed ? ` | failed ${event.failed}` : ''}${event.waitingForLabels ? ` | for other workers ${event.waitingForLabels}` : ''}]`)
          this.liveShown = true
        }
        break
    }
  }

  end(result: SchedulerResult): void {
    if (this.liveShown) process.stderr.write('\r\u001B[2K')
    if (!this.options.json) this.line(`done         ${result.runs.length} run(s), ${result.failed} not successful`)
  }
}
