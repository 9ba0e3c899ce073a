// `dkt source rm`: remove a source (its definition, its observations and its links); refuses while it is used.
import {InUseError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {linkFile} from '../model/link.js'
import {sourceFile, versionsFile} from '../model/source.js'
import {readLinks} from './link.js'
import {loadSource, sourceUsers} from './store.js'

export async function removeSource(
  repo: MetaRepo,
  options: {name: string; force?: boolean},
): Promise<{name: string; nodes: string[]; derived: string[]; links: number}> {
  await loadSource(repo, options.name)
  return repo.transaction(`source rm ${options.name}`, async (tx) => {
    await loadSource(repo, options.name)
    const {nodes, derived} = await sourceUsers(repo, options.name)
    if (!options.force && (nodes.length > 0 || derived.length > 0)) {
      const users = [...nodes.map((id) => `node ${id.slice(0, 8)}`), ...derived.map((name) => `source \`${name}\``)]
      throw new InUseError(
        `source \`${options.name}\` is used by ${users.join(', ')}; remove ${users.length > 1 ? 'them' : 'it'} first or pass --force`,
        {source: options.name, nodes, derived},
      )
    }
    tx.remove(sourceFile(options.name))
    tx.remove(versionsFile(options.name))
    const links = (await readLinks(repo)).filter((l) => l.from.source === options.name || l.to.source === options.name)
    for (const link of links) tx.remove(linkFile(link.id))
    return {name: options.name, nodes, derived, links: links.length}
  })
}
