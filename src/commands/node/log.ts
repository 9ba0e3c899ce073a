import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {nodeIdArg} from '../../cli/flags.js'
import {table} from '../../cli/render.js'
import {versionsText} from '../../cli/run-render.js'
import {logNode} from '../../core/node/list.js'
import {shortRefName} from '../../kinds/ref-pattern.js'

export default class NodeLog extends DktCommand {
  static override summary = 'List the runs of a node, newest first (pending, running, success, failure, error, cancelled).'
  static override examples = ['<%= config.bin %> node log de728e45', '<%= config.bin %> node log de728e45 --ref main']
  static override args = {node: nodeIdArg}
  static override flags = {
    ref: Flags.string({description: 'only the runs of this ref, as the REF column shows them (refs/heads/main, or main)'}),
  }

  async run() {
    const {args, flags} = await this.parse(NodeLog)
    const {node, runs} = await logNode(this.repo, {node: args.node, ref: flags.ref})
    // A node fanned out over refs gains a REF column: every ref a run serves (the one it ran for first).
    const byRef = runs.some((r) => r.refs !== undefined)
    const refCell = (r: (typeof runs)[number]) => (byRef ? [(r.refs ?? []).map(shortRefName).join(',')] : [])
    const head = ['ID', ...(byRef ? ['REF'] : []), 'STATUS', 'INPUT(S)', 'OUTPUT(S)']
    this.log(table(head, runs.map((r) => [r.id.slice(0, 8), ...refCell(r), r.status, versionsText(r.inputs), versionsText(r.outputs)])))
    return {node: node.id, runs}
  }
}
