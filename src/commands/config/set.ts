import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {setConfig} from '../../core/config.js'

export default class ConfigSet extends DktCommand {
  static override summary = 'Set a private field in .dkt/config (never committed, never printed).'
  static override description = 'Fields are available to commands as ${KEY}. `github.url` sets the GitHub base URL.'
  static override examples = ['<%= config.bin %> config set ESX_USER alice', '<%= config.bin %> config set github.url https://github.example.com']
  static override args = {
    key: Args.string({required: true, description: 'field name'}),
    value: Args.string({required: true, description: 'field value'}),
  }

  async run() {
    const {args} = await this.parse(ConfigSet)
    const result = await setConfig(this.repo.project, {key: args.key, value: args.value})
    this.log(`${result.key} set`)
    return result
  }
}
