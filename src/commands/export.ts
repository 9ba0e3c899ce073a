import {writeFileSync} from 'node:fs'

import {Args} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {exportPipeline, pipelineText} from '../core/apply/export.js'

export default class Export extends DktCommand {
  static override summary = 'Write the project’s sources and nodes as a pipeline file (what dkt apply reads).'
  static override description = `Without FILE, or with -, the file goes to stdout. Nodes made by dkt node run have no name: each gets one from
its script or program. Applying the file to a fresh project gives the same sources and the same node IDs.`
  static override examples = ['<%= config.bin %> export', '<%= config.bin %> export dkt.yml']
  static override args = {file: Args.string({description: 'where to write the file (- for stdout, the default)'})}

  async run() {
    const {args} = await this.parse(Export)
    const pipeline = await exportPipeline(this.repo)
    const text = await pipelineText(pipeline)
    const file = args.file === undefined || args.file === '-' ? null : args.file
    if (file) writeFileSync(file, text)
    else if (!this.jsonEnabled()) process.stdout.write(text)
    return {file, pipeline}
  }
}
