import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {removeSource} from '../../core/source/rm.js'

export default class SourceRm extends DktCommand {
  static override summary = 'Remove a source (refuses while a node or a derived source uses it).'
  static override examples = ['<%= config.bin %> source rm tests', '<%= config.bin %> source rm pinata --force']
  static override args = {name: sourceNameArg}
  static override flags = {force: Flags.boolean({description: 'remove it even while it is used'})}

  async run() {
    const {args, flags} = await this.parse(SourceRm)
    const result = await removeSource(this.repo, {name: args.name, force: flags.force})
    this.log(`source ${result.name} removed`)
    return result
  }
}
