import {Flags} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {shortId} from '../core/ids.js'
import {syncProject} from '../core/sync.js'

export default class Sync extends DktCommand {
  static override summary = "Share the project's metadata: fetch, merge and push .dkt/ with its git remote."
  static override description = `Everything dkt writes itself merges without conflict. Two different edits of one thing (two pins of a source,
two definitions of it) stop the sync with one sentence naming both values, and nothing is changed.
\`dkt config set sync.push true\` makes every command that writes push after its commit; \`sync.remote\` names the remote (default origin).`
  static override examples = ['<%= config.bin %> sync', '<%= config.bin %> sync --remote backup']
  static override flags = {
    remote: Flags.string({description: 'the remote to sync with (default: sync.remote, else origin)'}),
  }

  async run() {
    const {flags} = await this.parse(Sync)
    const result = await syncProject(this.repo, {remote: flags.remote})
    const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`
    this.log(`synced with ${result.remote}/${result.branch}: ${commits(result.received)} received, ${commits(result.sent)} sent; now at ${shortId(result.head)}`)
    return result
  }
}
