// `dkt source link A:VER B:VER`: record an out-of-band relation between two existing source versions.
import {AlreadyExistsError, InvalidArgumentError} from '../../base/errors.js'
import type {MetaRepo} from '../meta-repo.js'
import {type LinkDef, linkFile, linkId, type VersionRef} from '../model/link.js'
import {shortVersion} from '../../base/version.js'
import {loadSource, resolveSourceVersion} from './store.js'

export const LINK_FORMAT = 1

/** `pinata:3dd2cc1d` or `pinata:sha1:3dd2…` → source name and version text. Pure. */
export function parseSourceVersion(text: string): {source: string; version: string} {
  const colon = text.indexOf(':')
  if (colon <= 0 || colon === text.length - 1) {
    throw new InvalidArgumentError(`\`${text}\` is not SOURCE:VERSION (e.g. pinata:3dd2cc1d)`)
  }
  return {source: text.slice(0, colon), version: text.slice(colon + 1)}
}

async function resolveRef(repo: MetaRepo, text: string): Promise<VersionRef> {
  const {source, version} = parseSourceVersion(text)
  const def = await loadSource(repo, source)
  return {source, version: await resolveSourceVersion(repo, def, version)}
}

export async function linkSources(repo: MetaRepo, options: {from: string; to: string}): Promise<LinkDef & {id: string}> {
  const from = await resolveRef(repo, options.from)
  const to = await resolveRef(repo, options.to)
  const id = linkId(from, to)
  const show = (ref: VersionRef) => `${ref.source}:${shortVersion(ref.version)}`
  return repo.transaction(`source link ${show(from)} ${show(to)}`, async (tx) => {
    if (await repo.readJson(linkFile(id))) throw new AlreadyExistsError(`${show(from)} is already linked to ${show(to)}`)
    const link: LinkDef = {format: LINK_FORMAT, from, to}
    tx.writeJson(linkFile(id), link)
    return {...link, id}
  })
}

export async function readLinks(repo: MetaRepo): Promise<(LinkDef & {id: string})[]> {
  const ids = await repo.listJson('links')
  const links = await Promise.all(ids.map(async (id) => ({...(await repo.readJson<LinkDef>(linkFile(id))), id})))
  return links.filter((link): link is LinkDef & {id: string} => link.from !== undefined)
}
