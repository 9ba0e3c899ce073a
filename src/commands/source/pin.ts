import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {kindFlag} from '../../cli/flags.js'
import {pinnedName, table} from '../../cli/render.js'
import {pinSource, repointSource} from '../../core/source/pin.js'

export default class SourcePin extends DktCommand {
  static override summary = 'Pin a source to a version, or (with -k) point it at another location.'
  static override description = 'VERSION is any unique prefix of a version in `dkt source log`, with or without ALGO:.'
  static override examples = [
    '<%= config.bin %> source pin pinata sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8',
    '<%= config.bin %> source pin pinata 3dd2cc1d',
    '<%= config.bin %> source pin pinata /local/git/pinata -k git',
  ]
  static override args = {
    name: Args.string({required: true, description: 'source name'}),
    target: Args.string({required: true, description: 'VERSION, or LOCATION[:TAG] with -k'}),
  }
  static override flags = {kind: kindFlag}

  async run() {
    const {args, flags} = await this.parse(SourcePin)
    const source = flags.kind
      ? await repointSource(this.repo, {name: args.name, location: args.target, kind: flags.kind, cwd: process.cwd(), now: new Date()})
      : await pinSource(this.repo, {name: args.name, version: args.target})
    this.log(table(['NAME', 'LATEST'], [[pinnedName(source), source.latest]]))
    return source
  }
}
