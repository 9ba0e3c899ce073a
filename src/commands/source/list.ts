import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {pinnedName, table} from '../../cli/render.js'
import {listSources} from '../../core/source/list.js'

export default class SourceList extends DktCommand {
  static override summary = 'List sources with their latest version (pinned names carry *).'
  static override examples = ['<%= config.bin %> source list', '<%= config.bin %> source list --refresh']
  static override flags = {
    refresh: Flags.boolean({description: 'check every unpaused source for a new version first'}),
  }

  async run() {
    const {flags} = await this.parse(SourceList)
    const {sources, failures} = await listSources(this.repo, {refresh: flags.refresh, now: new Date()})
    this.log(table(['NAME', 'LATEST'], sources.map((s) => [pinnedName(s), s.latest])))
    for (const failure of failures) this.logToStderr(`Warning: ${failure.name}: ${failure.error.message}`)
    if (failures.length > 0) process.exitCode = 1
    return sources
  }
}
