import {DktCommand} from '../../cli/base-command.js'
import {sourceNameArg} from '../../cli/flags.js'
import {table} from '../../cli/render.js'
import {updateSources} from '../../core/source/update.js'

export default class SourceUpdate extends DktCommand {
  static override summary = 'Check a source now and record its new version, if it has one.'
  static override examples = ['<%= config.bin %> source update pinata']
  static override args = {name: sourceNameArg}

  async run() {
    const {args} = await this.parse(SourceUpdate)
    const {results, failures} = await updateSources(this.repo, {names: [args.name], now: new Date()})
    if (failures.length > 0) throw failures[0].error
    const [result] = results
    // A TAG pattern source: a line per ref under it (new: no PREVIOUS; deleted: LATEST `gone`).
    const refs = (result.refs ?? []).map((r) => [`  ${r.ref}`, r.version ?? 'gone', r.changed ? r.previous : 'unchanged'])
    this.log(table(['NAME', 'LATEST', 'PREVIOUS'], [[result.name, result.version, result.changed ? result.previous : 'unchanged'], ...refs]))
    return result
  }
}
