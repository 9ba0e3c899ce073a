import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {shortId} from '../../cli/render.js'
import {linkSources} from '../../core/source/link.js'

export default class SourceLink extends DktCommand {
  static override summary = 'Record an out-of-band relation between two source versions.'
  static override examples = ['<%= config.bin %> source link pinata:3dd2cc1d dmg:0E500A4E']
  static override args = {
    from: Args.string({required: true, description: 'SOURCE:VERSION'}),
    to: Args.string({required: true, description: 'SOURCE:VERSION'}),
  }

  async run() {
    const {args} = await this.parse(SourceLink)
    const link = await linkSources(this.repo, {from: args.from, to: args.to})
    this.log(`${link.from.source}:${shortId(link.from.version)} -> ${link.to.source}:${shortId(link.to.version)}`)
    return link
  }
}
