// Group commit: each run's final state is recorded durably as soon as it ends (MetaRepo.record: written, fsynced,
// journaled), so the next runs read its outputs at once; what was recorded is committed in groups, at most a second
// later and when the scheduler stops, so the scheduler is not bound by one git commit per run.
import type {MetaRepo} from '../core/meta-repo.js'
import {type RunRecorder, runCommitMessage} from '../core/node/recorder.js'

/** How long a recorded run waits at most for its commit while the scheduler goes on. */
export const GROUP_COMMIT_MS = 1000

export class GroupCommitter {
  private timer: NodeJS.Timeout | undefined
  private committing: Promise<void> = Promise.resolve()

  /** `afterCommit`: told after each group commit (remote mode pushes then). */
  constructor(
    private readonly repo: MetaRepo,
    private readonly afterCommit: () => void = () => {},
  ) {}

  /**
   * The recorder of the runs this scheduler executes: a run is only claimed locally when it starts (see claims.ts);
   * it is finished once its final state is recorded. `onEnded` is told as soon as the run has ended, before that.
   */
  runRecorder(onEnded: () => void): RunRecorder {
    return {
      start: async () => {},
      finish: async (run, write) => {
        onEnded()
        await this.repo.record(runCommitMessage(run), write)
        this.timer ??= setTimeout(() => this.commitNow(), GROUP_COMMIT_MS)
      },
    }
  }

  private commitNow(): void {
    this.timer = undefined
    // What was recorded stays recorded: the next group commit, or the one at the end, tries again.
    this.committing = this.committing
      .then(() => this.repo.commitRecorded())
      .then(() => this.afterCommit())
      .catch((error: unknown) => this.repo.onWarning(`committing the recorded runs failed (${(error as Error).message}); they stay recorded and the next commit takes them along`))
  }

  /** Commits everything recorded so far (a failure is thrown here). */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.committing
    await this.repo.commitRecorded()
  }
}
