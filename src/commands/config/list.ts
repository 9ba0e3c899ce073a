import {DktCommand} from '../../cli/base-command.js'
import {listConfigKeys} from '../../core/config.js'

export default class ConfigList extends DktCommand {
  static override summary = 'List the keys of .dkt/config (values are never shown).'
  static override examples = ['<%= config.bin %> config list']

  async run() {
    await this.parse(ConfigList)
    const keys = await listConfigKeys(this.repo.project)
    for (const key of keys) this.log(key)
    return keys
  }
}
