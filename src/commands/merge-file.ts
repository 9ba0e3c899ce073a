import {readFileSync, writeFileSync} from 'node:fs'

import {Args} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {type MergedRun, mergeRunLogs, mergeRunManifests} from '../core/merge-rules.js'
import {canonicalJson} from '../base/canonical-json.js'

export default class MergeFile extends DktCommand {
  static override hidden = true
  static override enableJsonFlag = false
  static override summary = 'The merge driver git runs for run files that two clones both wrote (set up by dkt; not for people).'
  static override args = {
    kind: Args.string({options: ['run', 'log'], required: true}),
    ours: Args.string({description: "git's %A: our side, where the result goes", required: true}),
    theirs: Args.string({description: "git's %B: their side", required: true}),
  }

  async run() {
    const {args} = await this.parse(MergeFile)
    const ours = readFileSync(args.ours, 'utf8')
    const theirs = readFileSync(args.theirs, 'utf8')
    const merged =
      args.kind === 'run'
        ? canonicalJson(mergeRunManifests(JSON.parse(ours) as MergedRun, JSON.parse(theirs) as MergedRun))
        : mergeRunLogs(ours, theirs)
    // %A is git's own temporary copy: it reads the result back once this exits 0.
    writeFileSync(args.ours, merged)
  }
}
