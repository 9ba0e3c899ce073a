import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {refCountRow, sourceRows, table} from '../../cli/render.js'
import {listSources} from '../../core/source/list.js'

export default class SourceList extends DktCommand {
  static override summary = 'List sources with their latest version (pinned names carry *).'
  static override description = 'A source whose TAG is a pattern shows each ref it follows on a line of its own, under it.'
  static override examples = ['<%= config.bin %> source list', '<%= config.bin %> source list --refresh', '<%= config.bin %> source list --refs']
  static override flags = {
    refresh: Flags.boolean({description: 'check every unpaused source for a new version first'}),
    refs: Flags.boolean({description: 'a REFS column with the number of refs a TAG pattern follows, instead of a line per ref'}),
  }

  async run() {
    const {flags} = await this.parse(SourceList)
    const {sources, failures} = await listSources(this.repo, {refresh: flags.refresh, now: new Date()})
    this.log(flags.refs ? table(['NAME', 'LATEST', 'REFS'], sources.map(refCountRow)) : table(['NAME', 'LATEST'], sources.flatMap(sourceRows)))
    for (const failure of failures) this.logToStderr(`Warning: ${failure.name}: ${failure.error.message}`)
    if (failures.length > 0) process.exitCode = 1
    return sources
  }
}
