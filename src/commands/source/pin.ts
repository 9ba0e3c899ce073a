import {Args, Flags} from '@oclif/core'

import {InvalidArgumentError} from '../../base/errors.js'

import {DktCommand} from '../../cli/base-command.js'
import {kindFlag} from '../../cli/flags.js'
import {sourceRows, table} from '../../cli/render.js'
import {pinSource, repointSource} from '../../core/source/pin.js'

export default class SourcePin extends DktCommand {
  static override summary = 'Pin a source to a version, or (with -k) point it at another location.'
  static override description = `VERSION is any unique prefix of a version in \`dkt source log\`, with or without ALGO:.
For a source whose TAG is a pattern, each ref has its own pin: --ref R pins R (at VERSION, or at its latest version).`
  static override examples = [
    '<%= config.bin %> source pin pinata sha1:3dd2cc1db51828a643237c39d5ed76bb066bcad8',
    '<%= config.bin %> source pin pinata 3dd2cc1d',
    '<%= config.bin %> source pin pinata /local/git/pinata -k git',
    '<%= config.bin %> source pin app --ref main',
    '<%= config.bin %> source pin app 3dd2cc1d --ref pull/3',
  ]
  static override args = {
    name: Args.string({required: true, description: 'source name'}),
    target: Args.string({description: 'VERSION, or LOCATION[:TAG] with -k'}),
  }
  static override flags = {
    kind: kindFlag,
    ref: Flags.string({description: 'the ref of a TAG pattern source to pin (main, v1.0, pull/3 or a full ref name)', exclusive: ['kind']}),
  }

  async run() {
    const {args, flags} = await this.parse(SourcePin)
    // VERSION may be left out only with --ref (that ref's latest version).
    if (args.target === undefined && (flags.kind || flags.ref === undefined)) {
      throw new InvalidArgumentError('Missing 1 required arg: target (VERSION, or LOCATION[:TAG] with -k)')
    }
    const source = flags.kind
      ? await repointSource(this.repo, {name: args.name, location: args.target as string, kind: flags.kind, cwd: process.cwd(), now: new Date()})
      : await pinSource(this.repo, {name: args.name, version: args.target, ref: flags.ref})
    this.log(table(['NAME', 'LATEST'], sourceRows(source)))
    return source
  }
}
