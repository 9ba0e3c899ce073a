// `dkt node output`: the captured stdout/stderr of a run.
import {readFile} from 'node:fs/promises'

import type {MetaRepo} from '../meta-repo.js'
import {type RunRecord, runLogFile} from '../model/run.js'
import {resolveRun} from './store.js'

/** The saved (redacted) log of a run; empty while it is running or when it had no output. */
export async function readRunLog(repo: MetaRepo, run: Pick<RunRecord, 'node' | 'id'>): Promise<string> {
  return readFile(repo.abs(runLogFile(run.node, run.id)), 'utf8').catch(() => '')
}

export async function runOutput(repo: MetaRepo, options: {run: string}): Promise<{run: string; output: string; truncated: boolean}> {
  const run = await resolveRun(repo, options.run)
  return {run: run.id, output: await readRunLog(repo, run), truncated: run.outputTruncated}
}
