// `dkt node output`: the captured stdout/stderr of a run.
import type {MetaRepo} from '../meta-repo.js'
import {runLogFile} from '../model/run.js'
import {resolveRun} from './store.js'

export async function runOutput(repo: MetaRepo, options: {run: string}): Promise<{run: string; output: string; truncated: boolean}> {
  const run = await resolveRun(repo, options.run)
  const lines = await import('node:fs/promises').then((fs) => fs.readFile(repo.abs(runLogFile(run.node, run.id)), 'utf8').catch(() => ''))
  return {run: run.id, output: lines, truncated: run.outputTruncated}
}
