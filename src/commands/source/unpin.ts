import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {sourceRows, table} from '../../cli/render.js'
import {unpinSource} from '../../core/source/pin.js'

export default class SourceUnpin extends DktCommand {
  static override summary = 'Unpin a source: it follows its latest version again.'
  static override examples = ['<%= config.bin %> source unpin pinata', '<%= config.bin %> source unpin app --ref main']
  static override args = {name: sourceNameArg}
  static override flags = {
    ref: Flags.string({description: 'only this ref of a TAG pattern source (default: every ref)'}),
  }

  async run() {
    const {args, flags} = await this.parse(SourceUnpin)
    const source = await unpinSource(this.repo, {name: args.name, ref: flags.ref})
    if (!source.changed) this.logToStderr(`source ${source.name}${flags.ref ? ` ${flags.ref}` : ''} was not pinned`)
    this.log(table(['NAME', 'LATEST'], sourceRows(source)))
    return source
  }
}
