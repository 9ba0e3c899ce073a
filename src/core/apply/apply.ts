// `dkt apply`: plan the changes that make the project match a pipeline file, then apply them in one commit.
import * as fs from 'node:fs/promises'

import {compactJson, canonicalJson} from '../../base/canonical-json.js'
import {DktError, EXIT_FAILED} from '../../base/errors.js'
import type {MetaRepo, Transaction} from '../meta-repo.js'
import {linkFile} from '../model/link.js'
import {type NodeDef, nodeFile} from '../model/node.js'
import {type SourceDef, sourceFile, versionsFile} from '../model/source.js'
import {loadAllNodes} from '../node/store.js'
import {readLinks} from '../source/link.js'
import {driverCache, lastObserved, loadAllSources, toSpec} from '../source/store.js'
import {type DesiredState, desiredState} from './desired.js'
import {parsePipelineFile} from './file.js'
import {NEW_TEMPORARY_FOLDER, planCounts, planPipeline, type PipelineState, type PlanItem} from './plan.js'

/** Another writer changed the project's sources or nodes between the plan and its application. */
export class PlanOutdatedError extends DktError {}

export interface ApplyPlan {
  /** The file as the user named it. */
  file: string
  changes: PlanItem[]
  /** What the plan was made from and towards (not part of `--json`). */
  state: {current: PipelineState; desired: DesiredState}
}

async function currentState(repo: MetaRepo): Promise<PipelineState> {
  const [sources, nodes] = await Promise.all([loadAllSources(repo), loadAllNodes(repo)])
  return {sources, nodes}
}

/** Reads the file's content (`text`) and plans; nothing is written. */
export async function planApply(repo: MetaRepo, options: {file: string; text: string}): Promise<ApplyPlan> {
  const file = await parsePipelineFile(options.text, options.file)
  const current = await currentState(repo)
  const desired = await desiredState(repo, file, current, driverCache(repo))
  return {file: options.file, changes: planPipeline(current, desired), state: {current, desired}}
}

/** Path sources of the file without a location become new temporary folders now, as `dkt source add NAME` makes. */
async function createTemporaryFolders(repo: MetaRepo, plan: ApplyPlan): Promise<string[]> {
  const created: string[] = []
  const drivers = driverCache(repo)
  for (const def of plan.state.desired.sources) {
    if (def.location !== NEW_TEMPORARY_FOLDER) continue
    const {driver, ctx} = await drivers.driverFor(def.kind)
    const resolved = await driver.resolve({cwd: repo.project.root}, ctx)
    if (resolved.created) created.push(resolved.created)
    def.location = resolved.location
    def.host ??= resolved.host
    const [version] = await driver.check(toSpec(def), undefined, ctx)
    plan.state.desired.observed.set(def.name, {version})
  }
  return created
}

async function stageSources(repo: MetaRepo, tx: Transaction, plan: ApplyPlan, now: Date): Promise<void> {
  const desired = new Map(plan.state.desired.sources.map((def) => [def.name, def]))
  const links = await readLinks(repo)
  for (const item of plan.changes.filter((change) => change.type === 'source')) {
    if (item.action === 'remove') {
      // As `dkt source rm --force`: the definition, its observations and its links (git history keeps them).
      tx.remove(sourceFile(item.name))
      tx.remove(versionsFile(item.name))
      for (const link of links) if (link.from.source === item.name || link.to.source === item.name) tx.remove(linkFile(link.id))
      continue
    }
    const def = desired.get(item.name) as SourceDef
    tx.writeJson(sourceFile(def.name), def)
    const observed = plan.state.desired.observed.get(def.name)
    if (observed && (await lastObserved(repo, def.name)) !== observed.version) {
      tx.appendLine(versionsFile(def.name), compactJson({observed: now.toISOString(), version: observed.version, info: observed.info}))
    }
  }
}

function stageNodes(tx: Transaction, plan: ApplyPlan): void {
  const desired = new Map(plan.state.desired.nodes.map((node) => [node.id, node]))
  for (const item of plan.changes.filter((change) => change.type === 'node')) {
    // A removed node's runs stay: they are facts of the history (`runs/NODE/`), as with `dkt node rm`.
    if (item.action === 'remove' || item.previousId) tx.remove(nodeFile(item.previousId ?? (item.id as string)))
    if (item.action !== 'remove') tx.writeJson(nodeFile(item.id as string), desired.get(item.id as string) as NodeDef)
  }
}

function commitMessage(plan: ApplyPlan): string {
  const counts = planCounts(plan.changes)
  return `apply ${plan.file} (${counts.add} to add, ${counts.change} to change, ${counts.remove} to remove)`
}

/** Applies a plan as one commit; refuses if the project's sources or nodes changed since the plan was made. */
export async function applyPlan(repo: MetaRepo, plan: ApplyPlan, options: {now: Date}): Promise<{applied: boolean}> {
  if (plan.changes.length === 0) return {applied: false}
  const created = await createTemporaryFolders(repo, plan)
  try {
    return await repo.transaction(commitMessage(plan), async (tx) => {
      if (canonicalJson(await currentState(repo)) !== canonicalJson(plan.state.current)) {
        throw new PlanOutdatedError('the project changed while the plan was shown (another command wrote to it); run `dkt apply` again', {
          exitCode: EXIT_FAILED,
        })
      }
      await stageSources(repo, tx, plan, options.now)
      stageNodes(tx, plan)
      return {applied: true}
    })
  } catch (error) {
    await Promise.all(created.map((dir) => fs.rm(dir, {recursive: true, force: true})))
    throw error
  }
}
