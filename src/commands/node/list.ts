import {DktCommand} from '../../cli/base-command.js'
import {commandText, table} from '../../cli/render.js'
import {listNodes} from '../../core/node/list.js'

export default class NodeList extends DktCommand {
  static override summary = 'List compute nodes.'
  static override examples = ['<%= config.bin %> node list']

  async run() {
    await this.parse(NodeList)
    const nodes = await listNodes(this.repo)
    const join = (items: string[]) => (items.length > 0 ? items.join(',') : '-')
    this.log(table(['ID', 'CMD', 'LABEL(S)', 'INPUT(S)', 'OUTPUT(S)'], nodes.map((n) => [n.id.slice(0, 8), commandText(n.command), join(n.labels), join(n.inputs), join(n.outputs)])))
    return nodes
  }
}
