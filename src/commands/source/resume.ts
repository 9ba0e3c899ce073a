import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {setSourcePaused} from '../../core/source/pause.js'

export default class SourceResume extends DktCommand {
  static override summary = 'Restart automatic updates of a source.'
  static override examples = ['<%= config.bin %> source resume pinata']
  static override args = {name: sourceNameArg}

  async run() {
    const {args} = await this.parse(SourceResume)
    const source = await setSourcePaused(this.repo, {name: args.name, paused: false})
    this.log(source.changed ? `source ${source.name} resumed` : `source ${source.name} was not paused`)
    return source
  }
}
