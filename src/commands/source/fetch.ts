import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {fetchSource} from '../../core/source/fetch.js'

export default class SourceFetch extends DktCommand {
  static override summary = 'Materialize a recorded version of a source into a folder.'
  static override description = 'Git sources give a checkout of that commit at PATH; path sources keep no copies, so only their current version can be fetched.'
  static override examples = ['<%= config.bin %> source fetch pinata:3dd2cc1d /tmp/pinata-3dd2cc1d']
  static override args = {
    target: Args.string({required: true, description: 'SOURCE:VERSION'}),
    dir: Args.string({required: true, description: 'folder to create (must be empty or absent)'}),
  }

  async run() {
    const {args} = await this.parse(SourceFetch)
    const result = await fetchSource(this.repo, {target: args.target, dir: args.dir, cwd: process.cwd()})
    this.log(result.dir)
    return result
  }
}
