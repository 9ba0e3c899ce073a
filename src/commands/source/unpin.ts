import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {pinnedName, table} from '../../cli/render.js'
import {unpinSource} from '../../core/source/pin.js'

export default class SourceUnpin extends DktCommand {
  static override summary = 'Unpin a source: it follows its latest version again.'
  static override examples = ['<%= config.bin %> source unpin pinata']
  static override args = {name: sourceNameArg}

  async run() {
    const {args} = await this.parse(SourceUnpin)
    const source = await unpinSource(this.repo, {name: args.name})
    if (!source.changed) this.logToStderr(`source ${source.name} was not pinned`)
    this.log(table(['NAME', 'LATEST'], [[pinnedName(source), source.latest]]))
    return source
  }
}
