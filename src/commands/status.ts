import {DktCommand} from '../cli/base-command.js'
import {commandText, table} from '../cli/render.js'
import {shortId} from '../core/ids.js'
import {projectStatus} from '../core/status.js'

export default class Status extends DktCommand {
  static override summary = 'Show which nodes would run now, and why.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run() {
    await this.parse(Status)
    const nodes = await projectStatus(this.repo)
    if (nodes.some((n) => n.due)) {
      // Failed nodes are listed too: they wait for a `node rerun`, which their line names.
      const shown = nodes.filter((n) => n.due || n.state === 'failed')
      this.log(table(['NODE', 'CMD', 'WHY'], shown.map((n) => [shortId(n.node), commandText(n.command), n.reasons.join('; ')])))
    } else {
      const each = nodes.map((n) => `${shortId(n.node)} ${n.reasons.join('; ')}`).join(', ')
      this.log(`nothing to run (${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${each || 'none defined'})`)
    }
    return nodes
  }
}
