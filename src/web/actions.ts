// What the web view may change, only with --allow-actions: rerun a run's node (and what is downstream), cancel a run
// this server started, rerun the nodes of the failed runs of a list. Each goes through the CLI's core operations
// (claims, lock, one commit per state); a POST needs this page's Origin and this process's token.
import {randomBytes} from 'node:crypto'
import type {MiddlewareHandler} from 'hono'

import {AlreadyRunningError, NotFoundError} from '../base/errors.js'
import {shortId} from '../core/ids.js'
import type {MetaRepo} from '../core/meta-repo.js'
import type {RunRecord} from '../core/model/run.js'
import {rerunNode} from '../core/node/rerun.js'
import {same} from './guard.js'

export class Actions {
  /** Sent back in every form: a page of another site cannot know it. */
  readonly token = randomBytes(24).toString('hex')
  /** Runs this process is executing, by run ID, to cancel them. */
  private readonly going = new Map<string, AbortController>()

  constructor(
    private readonly repo: MetaRepo,
    private readonly dktVersion: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Starts a new run of `node` (and downstream); resolves with it once it has started, while it goes on. */
  rerun(node: string, downstream: boolean): Promise<RunRecord> {
    const controller = new AbortController()
    return new Promise((resolve, reject) => {
      let first: RunRecord | undefined
      rerunNode(this.repo, {
        node,
        downstream,
        dktVersion: this.dktVersion,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'run-started') {
            this.going.set(event.run.id, controller)
            first ??= event.run
            resolve(event.run)
          }
          if (event.type === 'run-finished') this.going.delete(event.run.id)
        },
      })
        .then((results) => resolve(first ?? (results[0]?.run as RunRecord)))
        .catch((error: Error) => {
          // Once the first run has started, the page already shows it; a later error is the server's to log.
          if (first) this.onError(error)
          else reject(error)
        })
    })
  }

  /** Cancels a run this server started (one started elsewhere is stopped where it runs). */
  cancel(run: RunRecord): void {
    const controller = this.going.get(run.id)
    if (!controller) {
      if (run.status !== 'running') throw new NotFoundError(`run ${shortId(run.id)} is not running`)
      throw new AlreadyRunningError(`run ${shortId(run.id)} was not started by this server; stop it where it runs (Ctrl-C)`)
    }
    controller.abort()
  }

  isCancellable(run: string): boolean {
    return this.going.has(run)
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
