import {DktCommand} from '../cli/base-command.js'
import {secretsFromFlags, tokenFlags} from '../cli/flags.js'
import {initProject} from '../core/init.js'

export default class Init extends DktCommand {
  static override summary = 'Create a dkt project (.dkt/ and its metadata repository) in the current folder.'
  static override description = 'Tokens are written to .dkt/secrets/ (mode 0600) and are never committed or printed.'
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --github-token $TOKEN']
  static override flags = {...tokenFlags}

  async run() {
    const {flags} = await this.parse(Init)
    const result = await initProject({dir: process.cwd(), secrets: secretsFromFlags(flags), mergeDriver: this.dktCommandLine})
    this.log(`Initialized empty Datakit repository in ${result.dktDir}`)
    return result
  }
}
