import {DktCommand} from '../cli/base-command.js'
import {commandText, table} from '../cli/render.js'
import {projectStatus} from '../core/status.js'

export default class Status extends DktCommand {
  static override summary = 'Show which nodes would run now, and why.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run() {
    await this.parse(Status)
    const nodes = await projectStatus(this.repo)
    const due = nodes.filter((n) => n.due)
    if (due.length === 0) this.log(`nothing to run (${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${nodes.map((n) => `${n.node.slice(0, 8)} ${n.reasons.join('; ')}`).join(', ') || 'none defined'})`)
    else this.log(table(['NODE', 'CMD', 'WHY'], due.map((n) => [n.node.slice(0, 8), commandText(n.command), n.reasons.join('; ')])))
    return nodes
  }
}
