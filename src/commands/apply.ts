import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {InvalidArgumentError, NotFoundError} from '../base/errors.js'
import {planLine, planSummary} from '../cli/apply-render.js'
import {DktCommand} from '../cli/base-command.js'
import {applyPlan, planApply} from '../core/apply/apply.js'
import {planCounts} from '../core/apply/plan.js'

/** On a terminal: whether the user types yes. */
async function confirmed(question: string): Promise<boolean> {
  const {createInterface} = await import('node:readline/promises')
  const prompt = createInterface({input: process.stdin, output: process.stderr})
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim())
  } finally {
    prompt.close()
  }
}

export default class Apply extends DktCommand {
  static override summary = 'Make the project match a pipeline file (sources and nodes): show the plan, then apply it in one commit.'
  static override description = `FILE (default: dkt.yml at the project root) lists sources and nodes by name; see schemas/dkt-yml.json.
Sources and nodes the file does not list are removed (runs are never removed: they stay in the history).
Relative paths in the file (path sources, scripts) are relative to the project root. On a terminal, dkt asks before
applying; elsewhere pass --yes. Applying the same file again changes nothing.`
  static override examples = ['<%= config.bin %> apply', '<%= config.bin %> apply ci/pipeline.yml --dry-run', '<%= config.bin %> apply --yes']
  static override args = {file: Args.string({description: 'the pipeline file (default: dkt.yml at the project root)'})}
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'apply without asking'}),
    'dry-run': Flags.boolean({description: 'show the plan only'}),
  }

  async run() {
    const {args, flags} = await this.parse(Apply)
    const file = args.file ?? path.relative(process.cwd(), path.join(this.repo.project.root, 'dkt.yml'))
    let text: string
    try {
      text = readFileSync(path.resolve(file), 'utf8')
    } catch {
      throw new NotFoundError(`pipeline file \`${file}\` cannot be read; write one (\`dkt export > dkt.yml\` starts it from this project)`)
    }
    const plan = await planApply(this.repo, {file, text})
    const result = {file, changes: plan.changes, applied: false}
    if (plan.changes.length === 0) {
      this.log(`nothing to change: the project matches ${file}`)
      return result
    }
    const counts = planCounts(plan.changes)
    this.log([...plan.changes.map(planLine), planSummary(counts)].join('\n'))
    if (flags['dry-run']) return result
    if (!flags.yes) {
      if (!process.stdin.isTTY || !process.stderr.isTTY) {
        throw new InvalidArgumentError('not applied: dkt apply asks for confirmation on a terminal only; pass --yes to apply, or --dry-run to see the plan only')
      }
      if (!(await confirmed('Apply these changes? [yN]: '))) {
        process.stderr.write('Apply cancelled; nothing was changed.\n')
        process.exitCode = 1
        return result
      }
    }
    await applyPlan(this.repo, plan, {now: new Date()})
    this.log(`Applied: ${counts.add} added, ${counts.change} changed, ${counts.remove} removed.`)
    return {...result, applied: true}
  }
}
