// The command_not_found hook: a mistyped command gets "did you mean …?" and exit 2, as any usage error; on a
// terminal, @oclif/plugin-not-found asks whether to run the closest command instead.
import {type Hook, toConfiguredId} from '@oclif/core'
import levenshtein from 'fast-levenshtein'

/** The visible command (or alias) closest to `id`, when it is close enough to be what was meant. */
function closestCommand(id: string, commands: {id: string; aliases: string[]; hidden?: boolean}[]): string | undefined {
  const candidates = commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const ranked = candidates.map((candidate) => ({candidate, distance: levenshtein.get(id, candidate)})).sort((a, b) => a.distance - b.distance)
  const best = ranked[0]
  // Beyond half the typed length, a "suggestion" is a guess that only misleads.
  return best && best.distance <= Math.max(2, Math.floor(id.length / 2)) ? best.candidate : undefined
}

export const notFound: Hook<'command_not_found'> = async function (options) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const {default: askToRunClosest} = await import('@oclif/plugin-not-found')
    // It exits 127 when the suggestion is declined; dkt's usage errors exit 2.
    const context = {...this, error: (message: string | Error, opts: {exit?: number} = {}) => this.error(message, {...opts, exit: 2})}
    return askToRunClosest.call(context as typeof this, options)
  }
  const typed = toConfiguredId(options.id, this.config)
  const closest = closestCommand(options.id, this.config.commands)
  const hint = closest ? `did you mean \`${toConfiguredId(closest, this.config)}\`?` : `see \`${this.config.bin} help\``
  this.error(`command \`${typed}\` not found; ${hint}`, {exit: 2})
}
