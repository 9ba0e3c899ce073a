import {Args} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {runOutput} from '../../core/node/output.js'

export default class NodeOutput extends DktCommand {
  static override summary = 'Print the captured stdout/stderr of a run.'
  static override examples = ['<%= config.bin %> node output ef3212a1']
  static override args = {run: Args.string({required: true, description: 'run ID (any unique prefix)'})}

  async run() {
    const {args} = await this.parse(NodeOutput)
    const result = await runOutput(this.repo, {run: args.run})
    if (!this.jsonEnabled()) process.stdout.write(result.output)
    if (result.truncated) this.logToStderr(`(output of run ${result.run.slice(0, 8)} was cut at its size limit)`)
    return result
  }
}
