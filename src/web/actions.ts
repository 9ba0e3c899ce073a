// What the web view may change, only with --allow-actions: rerun a run's node (and what is downstream), cancel a run
// that a process of this machine executes, rerun the failed runs of a list's nodes one after another. Each goes through the CLI's core operations
// (claims, lock, one commit per state); a POST needs this page's Origin and this process's token.
import {randomBytes} from 'node:crypto'
import type {MiddlewareHandler} from 'hono'

import {NotFoundError} from '../base/errors.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {RunRecord} from '../core/model/run.js'
import {requestCancel} from '../core/node/cancel.js'
import type {RunEvent} from '../core/node/execute.js'
import {rerunFailed, rerunNode} from '../core/node/rerun.js'
import {same} from './guard.js'

export class Actions {
  /** Sent back in every form: a page of another site cannot know it. */
  readonly token = randomBytes(24).toString('hex')

  constructor(
    private readonly repo: MetaRepo,
    private readonly dktVersion: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * New runs of `nodes` (each with what is downstream of it) through `dkt node rerun`'s core, one node after
   * another, each once the runs before it have ended; resolves with the first run once it has started, while the
   * rest goes on in the background.
   */
  rerun(nodes: string[], downstream: boolean): Promise<RunRecord> {
    return this.inBackground(async (onEvent, onError) => {
      // A node that cannot run (its inputs are gone) does not stop the others.
      for (const node of nodes) await rerunNode(this.repo, {node, downstream, dktVersion: this.dktVersion, onEvent}).catch(onError)
    })
  }

  /**
   * New attempts of the failed runs of `nodes`, as `dkt node rerun --failed` picks them (see failedRuns), one after
   * another; resolves with the first run once it has started, while the rest goes on in the background.
   */
  rerunFailed(nodes: string[]): Promise<RunRecord> {
    return this.inBackground(async (onEvent, onError) => {
      await rerunFailed(this.repo, {nodes, dktVersion: this.dktVersion, onEvent, onError})
    })
  }

  /** Runs `work`, resolving with its first started run; its errors are the server's to log once a run has started. */
  private inBackground(work: (onEvent: (event: RunEvent) => void, onError: (error: Error) => void) => Promise<void>): Promise<RunRecord> {
    return new Promise((resolve, reject) => {
      let first: RunRecord | undefined
      const errors: Error[] = []
      const onEvent = (event: RunEvent) => {
        if (event.type !== 'run-started' || first) return
        first = event.run
        resolve(event.run)
      }
      void (async () => {
        await work(onEvent, (error) => errors.push(error)).catch((error: Error) => errors.push(error))
        // Once a run has started, the page shows it; the errors are the server's to log.
        if (first) for (const error of errors) this.onError(error)
        else reject(errors[0] ?? new NotFoundError('no run started'))
      })()
    })
  }

  /** Cancels a live run on this machine, whichever process executes it (see requestCancel). */
  async cancel(run: RunRecord): Promise<void> {
    await requestCancel(this.repo.project, run.id)
  }

  /** POSTs must come from this server's own pages: their Origin, and the token of their form. */
  guard(): MiddlewareHandler {
    return async (c, next) => {
      if (c.req.method !== 'POST') return next()
      const origin = c.req.header('origin')
      const host = c.req.header('host') ?? new URL(c.req.url).host
      // Hosts compared, not schemes: behind a proxy that ends TLS the browser's origin is https, this server's http.
      if (!origin || !URL.canParse(origin) || new URL(origin).host !== host) return c.text('Refused: an action must come from a page of this server (Origin)\n', 403)
      const form = await c.req.parseBody()
      if (!same(String(form._token ?? ''), this.token)) return c.text('Refused: the form is stale or not from this server; reload it\n', 403)
      return next()
    }
  }
}
