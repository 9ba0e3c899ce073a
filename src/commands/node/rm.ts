import {DktCommand} from '../../cli/base-command.js'
import {nodeIdArg} from '../../cli/flags.js'
import {removeNode} from '../../core/node/rm.js'

export default class NodeRm extends DktCommand {
  static override summary = 'Remove a node; its runs stay in the history.'
  static override examples = ['<%= config.bin %> node rm de728e45']
  static override args = {node: nodeIdArg}

  async run() {
    const {args} = await this.parse(NodeRm)
    const result = await removeNode(this.repo, {node: args.node})
    this.log(`node ${result.id.slice(0, 8)} removed`)
    return result
  }
}
