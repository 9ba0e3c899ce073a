import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {shortId, table} from '../../cli/render.js'
import {logSource} from '../../core/source/log.js'

export default class SourceLog extends DktCommand {
  static override summary = 'List the versions of a source, newest first.'
  static override description = 'For a source whose TAG is a pattern: the versions seen on each ref (REF column), or with --ref one ref\'s history.'
  static override examples = ['<%= config.bin %> source log pinata', '<%= config.bin %> source log app --ref main']
  static override args = {name: sourceNameArg}
  static override flags = {
    ref: Flags.string({description: 'only this ref of a TAG pattern source (main, v1.0, pull/3 or a full ref name)'}),
  }

  async run() {
    const {args, flags} = await this.parse(SourceLog)
    const {columns, entries, byRef} = await logSource(this.repo, {name: args.name, ref: flags.ref})
    // The pinned version carries a `*`, as pinned names do in `source list`.
    const refCell = (e: (typeof entries)[number]) => (byRef ? [e.ref ?? ''] : [])
    const rows = entries.map((e) => [`${shortId(e.version)}${e.pinned ? '*' : ''}`, ...refCell(e), ...columns.map((c) => e.info[c] ?? ''), e.version])
    this.log(table(['ID', ...(byRef ? ['REF'] : []), ...columns, 'FULL'], rows))
    return entries
  }
}
