// `dkt source pause` / `resume`: stop or restart automatic updates of a source.
import type {MetaRepo} from '../meta-repo.js'
import {sourceFile} from '../model/source.js'
import {lastObserved, loadSource, type SourceView, toView} from './store.js'

export async function setSourcePaused(
  repo: MetaRepo,
  options: {name: string; paused: boolean},
): Promise<SourceView & {changed: boolean}> {
  await loadSource(repo, options.name)
  return repo.transaction(`source ${options.paused ? 'pause' : 'resume'} ${options.name}`, async (tx) => {
    const {paused, ...rest} = await loadSource(repo, options.name)
    const changed = (paused === true) !== options.paused
    const next = options.paused ? {...rest, paused: true} : rest
    if (changed) tx.writeJson(sourceFile(options.name), next)
    return {...toView(next, await lastObserved(repo, options.name)), changed}
  })
}
