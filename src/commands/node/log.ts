import {DktCommand} from '../../cli/base-command.js'
import {nodeIdArg} from '../../cli/flags.js'
import {table} from '../../cli/render.js'
import {versionsText} from '../../cli/run-render.js'
import {logNode} from '../../core/node/list.js'

export default class NodeLog extends DktCommand {
  static override summary = 'List the runs of a node, newest first (pending, running, success, failure, error, cancelled).'
  static override examples = ['<%= config.bin %> node log de728e45']
  static override args = {node: nodeIdArg}

  async run() {
    const {args} = await this.parse(NodeLog)
    const {node, runs} = await logNode(this.repo, {node: args.node})
    this.log(table(['ID', 'STATUS', 'INPUT(S)', 'OUTPUT(S)'], runs.map((r) => [r.id.slice(0, 8), r.status, versionsText(r.inputs), versionsText(r.outputs)])))
    return {node: node.id, runs}
  }
}
