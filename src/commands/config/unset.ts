import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {unsetConfig} from '../../core/config.js'

export default class ConfigUnset extends DktCommand {
  static override summary = 'Remove a private field from .dkt/config.'
  static override examples = ['<%= config.bin %> config unset ESX_USER']
  static override args = {key: Args.string({required: true, description: 'field name'})}

  async run() {
    const {args} = await this.parse(ConfigUnset)
    const result = await unsetConfig(this.repo.project, {key: args.key})
    this.log(result.removed ? `${result.key} removed` : `${result.key} was not set`)
    return result
  }
}
