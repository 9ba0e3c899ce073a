import {writeFile} from 'node:fs/promises'
import * as path from 'node:path'
import {Args, Flags} from '@oclif/core'

import {DktCommand} from '../cli/base-command.js'
import {provenanceDot, renderSvg} from '../core/inspect/dot.js'
import {inspectVersion, type VersionEntry} from '../core/inspect/walk.js'
import {InvalidArgumentError} from '../base/errors.js'

export default class Inspect extends DktCommand {
  static override summary = 'Show the provenance of a source version, back to the global sources.'
  static override examples = ['<%= config.bin %> inspect tests:d41d8cd9', '<%= config.bin %> inspect tests:d41d8cd9 --dot', '<%= config.bin %> inspect tests:d41d8cd9 --svg tests.svg']
  static override args = {target: Args.string({required: true, description: 'SOURCE:VERSION (any unique version prefix)'})}
  static override flags = {
    dot: Flags.boolean({description: 'print a Graphviz (DOT) graph instead'}),
    svg: Flags.string({description: 'also write the graph rendered as SVG to this file'}),
  }

  async run() {
    const {args, flags} = await this.parse(Inspect)
    const provenance = await inspectVersion(this.repo, {target: args.target})
    if (flags.svg) {
      const file = path.resolve(flags.svg)
      const svg = await renderSvg(provenanceDot(provenance))
      await writeFile(file, svg).catch((error: NodeJS.ErrnoException) => {
        const why = error.code === 'ENOENT' ? `folder ${path.dirname(file)} does not exist` : (error.message.split(':')[0] ?? error.code)
        throw new InvalidArgumentError(`cannot write ${flags.svg}: ${why}`)
      })
      this.logToStderr(`wrote ${file}`)
    }
    if (flags.dot) this.log(provenanceDot(provenance).trimEnd())
    else if (!flags.svg) {
      const target = provenance.entries.at(-1) as VersionEntry
      this.log(`# manifest for ${target.source}:${target.ID}`)
      this.log(JSON.stringify(provenance.entries, null, 2))
    }
    return provenance.entries
  }
}
