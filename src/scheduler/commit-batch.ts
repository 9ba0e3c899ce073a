// Group commit: runs that finish while a commit is being made are recorded together in the next one, so the
// scheduler is not bound by one git commit per run; each run is reported finished only once it is committed.
import type {MetaRepo} from '../core/meta-repo.js'
import {type RunRecorder, type RunWrite, runCommitMessage} from '../core/node/recorder.js'

interface Pending {
  message: string
  apply: RunWrite
  resolve: () => void
  reject: (error: unknown) => void
}

export class GroupCommitter {
  private pending: Pending[] = []
  private committing: Promise<void> | undefined

  constructor(private readonly repo: MetaRepo) {}

  /**
   * The recorder of the runs this scheduler executes: a run is only claimed locally when it starts (see claims.ts);
   * its final state goes into the next group commit. `onEnded` is told as soon as the run has ended, before that.
   */
  runRecorder(onEnded: () => void): RunRecorder {
    return {
      start: async () => {},
      finish: (run, write) => {
        onEnded()
        return this.record(runCommitMessage(run), write)
      },
    }
  }

  private record(message: string, apply: RunWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({message, apply, resolve, reject})
      this.committing ??= this.drain().finally(() => {
        this.committing = undefined
      })
    })
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0)
      const message = batch.length === 1 ? batch[0].message : `scheduler: ${batch.length} runs\n\n${batch.map((p) => p.message).join('\n')}`
      try {
        await this.repo.transaction(message, async (tx) => {
          for (const item of batch) await item.apply(tx)
        })
        for (const item of batch) item.resolve()
      } catch (error) {
        for (const item of batch) item.reject(error)
      }
    }
  }

  /** Resolves when everything recorded so far is committed. */
  async flush(): Promise<void> {
    while (this.committing) await this.committing
  }
}
