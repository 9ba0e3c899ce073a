import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {shortId, table} from '../../cli/render.js'
import {logSource} from '../../core/source/log.js'

export default class SourceLog extends DktCommand {
  static override summary = 'List the versions of a source, newest first.'
  static override examples = ['<%= config.bin %> source log pinata']
  static override args = {name: sourceNameArg}

  async run() {
    const {args} = await this.parse(SourceLog)
    const {columns, entries} = await logSource(this.repo, {name: args.name})
    // The pinned version carries a `*`, as pinned names do in `source list`.
    const rows = entries.map((e) => [`${shortId(e.version)}${e.pinned ? '*' : ''}`, ...columns.map((c) => e.info[c] ?? ''), e.version])
    this.log(table(['ID', ...columns, 'FULL'], rows))
    return entries
  }
}
