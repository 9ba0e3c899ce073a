import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {setSourcePaused} from '../../core/source/pause.js'

export default class SourcePause extends DktCommand {
  static override summary = 'Stop automatic updates of a source.'
  static override examples = ['<%= config.bin %> source pause pinata']
  static override args = {name: sourceNameArg}

  async run() {
    const {args} = await this.parse(SourcePause)
    const source = await setSourcePaused(this.repo, {name: args.name, paused: true})
    this.log(source.changed ? `source ${source.name} paused` : `source ${source.name} was already paused`)
    return source
  }
}
