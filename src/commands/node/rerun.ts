import {Args, Flags} from '@oclif/core'

import {InvalidArgumentError} from '../../base/errors.js'
import {DktCommand} from '../../cli/base-command.js'
import {executeOptions} from '../../cli/run-options.js'
import {runsExitCode} from '../../cli/run-render.js'
import type {ExecuteResult} from '../../core/node/execute.js'
import {rerunFailed, rerunNode} from '../../core/node/rerun.js'

/** One sentence for a combination of arguments that means nothing (oclif's own messages span several lines). */
function usage(node: string | undefined, flags: {failed?: boolean; downstream?: boolean; node?: string; ref?: string}): void {
  if (flags.failed && node) throw new InvalidArgumentError('give either a node ID or --failed (with --node ID), not both')
  if (flags.failed && flags.downstream) throw new InvalidArgumentError('--downstream does not go with --failed, which reruns only the failed runs')
  if (!flags.failed && (flags.node || flags.ref)) throw new InvalidArgumentError('--node and --ref go with --failed; to rerun one node, give its ID')
  if (!flags.failed && !node) throw new InvalidArgumentError('give the node ID to rerun, or --failed')
}

export default class NodeRerun extends DktCommand {
  static override summary = 'Force a new run of a node (and, with --downstream, of every node fed by its outputs), or of every failed run.'
  static override description = `With --failed, every node whose newest run (of each ref) failed or ended in error is run again on the input
versions that run recorded, upstream nodes first; runs since succeeded on the same inputs are skipped. --node and
--ref narrow it to one node and to the runs of one ref (refs/heads/main, or main).`
  static override examples = [
    '<%= config.bin %> node rerun de728e45',
    '<%= config.bin %> node rerun de72 --downstream',
    '<%= config.bin %> node rerun --failed',
    '<%= config.bin %> node rerun --failed --node de72 --ref main',
  ]
  static override args = {node: Args.string({description: 'node ID (any unique prefix); not with --failed'})}
  static override flags = {
    downstream: Flags.boolean({description: 'also rerun every node downstream, in dependency order'}),
    failed: Flags.boolean({description: 'rerun every failed run on its recorded inputs'}),
    node: Flags.string({description: 'with --failed: only this node’s failed runs'}),
    ref: Flags.string({description: 'with --failed: only the runs of this ref (refs/heads/main, or main)'}),
  }

  async run() {
    const {args, flags} = await this.parse(NodeRerun)
    usage(args.node, flags)
    const options = executeOptions(this, this.jsonEnabled())
    try {
      const results = args.node
        ? await rerunNode(this.repo, {...options, node: args.node, downstream: flags.downstream})
        : await this.rerunFailed(options, flags)
      process.exitCode = runsExitCode(results)
      return results.map((r) => r.run)
    } finally {
      options.dispose()
    }
  }

  private async rerunFailed(options: ReturnType<typeof executeOptions>, flags: {node?: string; ref?: string}): Promise<ExecuteResult[]> {
    const results = await rerunFailed(this.repo, {...options, node: flags.node, ref: flags.ref})
    if (results.length === 0) {
      const scope = `${flags.node ? ` of node ${flags.node}` : ''}${flags.ref ? ` on ref ${flags.ref}` : ''}`
      this.log(`nothing to rerun: no node's newest run${scope} failed`)
    }
    return results
  }
}
