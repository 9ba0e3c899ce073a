import {Args, Flags} from '@oclif/core'

import {DktCommand} from '../../cli/base-command.js'
import {kindFlag} from '../../cli/flags.js'
import {SOURCE_HEAD, sourceRow, table} from '../../cli/render.js'
import {addSource} from '../../core/source/add.js'

export default class SourceAdd extends DktCommand {
  static override summary = 'Add a data source and record its current version.'
  static override description = `LOCATION is a git URL, a local path, user/repo (with -k github), or the name of another source to derive from
(inheriting its kind, location, tag and path; -p is then relative to the parent's path). Without LOCATION, a new
temporary folder is created. TAG defaults to the remote's default branch for git.`
  static override examples = [
    '<%= config.bin %> source add pinata docker/pinata -k github',
    '<%= config.bin %> source add pitfall pinata --path /v1/pitfall',
    '<%= config.bin %> source add beta12 docker/pinata:beta12 -k github',
    '<%= config.bin %> source add data ./data',
    '<%= config.bin %> source add tests',
  ]
  static override args = {
    name: Args.string({required: true, description: 'source name (no : / \\ or *)'}),
    location: Args.string({description: 'LOCATION[:TAG], or a source to derive from'}),
  }
  static override flags = {
    kind: kindFlag,
    path: Flags.string({char: 'p', description: 'sub-path inside the location'}),
  }

  async run() {
    const {args, flags} = await this.parse(SourceAdd)
    const source = await addSource(this.repo, {
      name: args.name,
      location: args.location,
      kind: flags.kind,
      path: flags.path,
      cwd: process.cwd(),
      now: new Date(),
    })
    this.log(table(SOURCE_HEAD, [sourceRow(source)]))
    return source
  }
}
