import {Args} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {secretsFromFlags, tokenFlags} from '../cli/flags.js'
import {cloneProject} from '../core/init.js'

export default class Clone extends DktCommand {
  static override summary = "Clone a project's metadata repository (any git URL or path) into DIR/.dkt."
  static override description = 'Secrets are never part of a clone: give tokens again with the flags.'
  static override examples = ['<%= config.bin %> clone git@example.com:team/pipeline-meta.git', '<%= config.bin %> clone ../pipeline copy']
  static override args = {
    repo: Args.string({description: 'git URL or path of the metadata repository (or of a project folder)', required: true}),
    dir: Args.string({description: 'folder to create the project in (default: named after REPO)'}),
  }
  static override flags = {...tokenFlags}

  async run() {
    const {args, flags} = await this.parse(Clone)
    const result = await cloneProject({repo: args.repo, dir: args.dir, cwd: process.cwd(), secrets: secretsFromFlags(flags), mergeDriver: this.dktCommandLine})
    this.log(`Cloned Datakit repository into ${result.dktDir}`)
    return {dktDir: result.dktDir, secrets: result.secrets}
  }
}
