import {Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {nodeIdArg} from '../../cli/flags.js'
import {executeOptions} from '../../cli/run-options.js'
import {runsExitCode} from '../../cli/run-render.js'
import {rerunNode} from '../../core/node/rerun.js'

export default class NodeRerun extends DktCommand {
  static override summary = 'Force a new run of a node (and, with --downstream, of every node fed by its outputs).'
  static override examples = ['<%= config.bin %> node rerun de728e45', '<%= config.bin %> node rerun de72 --downstream']
  static override args = {node: nodeIdArg}
  static override flags = {downstream: Flags.boolean({description: 'also rerun every node downstream, in dependency order'})}

  async run() {
    const {args, flags} = await this.parse(NodeRerun)
    const options = executeOptions(this, this.jsonEnabled())
    try {
      const results = await rerunNode(this.repo, {...options, node: args.node, downstream: flags.downstream})
      process.exitCode = runsExitCode(results)
      return results.map((r) => r.run)
    } finally {
      options.dispose()
    }
  }
}
