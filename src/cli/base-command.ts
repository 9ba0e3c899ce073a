// DktCommand: the base of every command. It finds the project, turns any error into one sentence on stderr with
// its exit code (also under --json), and shows a stack only when DEBUG or DKT_DEBUG is set.
import {writeFileSync} from 'node:fs'
import * as path from 'node:path'

import {Command} from '@oclif/core'

import {DktError} from '../base/errors.js'
import {profileReport, startProfile} from '../base/profile.js'
import {MetaRepo} from '../core/meta-repo.js'
import {findProject} from '../core/project.js'
import {redactUrlCredentials} from '../base/redact.js'
import {setTransferProgressListener} from '../core/source/store.js'
import {terminalProgress} from './progress.js'

type OclifError = Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}

/** The exit code of any error: DktError's own, oclif's parse errors (2), anything else 1. */
export function exitCodeOf(error: OclifError): number {
  if (error instanceof DktError) return error.exitCode
  if (typeof error.oclif?.exit === 'number') return error.oclif.exit
  return 1
}

/** One sentence: the first line of the message, with causes as "outer: inner". */
export function errorSentence(error: Error): string {
  const parts: string[] = []
  for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) {
    const line = e.message.split('\n')[0].trim()
    if (line && !parts.some((p) => p.includes(line))) parts.push(line)
  }
  return redactUrlCredentials(parts.join(': ') || String(error))
}

/** `text` as one word for sh (git runs merge drivers through the shell). */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

export abstract class DktCommand extends Command {
  static override enableJsonFlag = true

  private metaRepo?: MetaRepo

  /** The project around the working directory (NotAProjectError outside one). */
  protected get repo(): MetaRepo {
    if (!this.metaRepo) {
      this.metaRepo = new MetaRepo(findProject(process.cwd()))
      this.metaRepo.onWarning = (message) => process.stderr.write(`Warning: ${message}\n`)
      this.metaRepo.mergeDriver = this.dktCommandLine
      // Long transfers (s3) draw their progress on a terminal only: a piped stderr keeps just the errors.
      if (process.stderr.isTTY) setTransferProgressListener(terminalProgress(process.stderr))
    }
    return this.metaRepo
  }

  /** How git runs this dkt (its merge drivers, see core/merge-rules.ts): node and the CLI's start script, quoted. */
  protected get dktCommandLine(): string {
    return [process.execPath, path.join(this.config.root, 'bin', 'run.js')].map(shellQuote).join(' ')
  }

  // DKT_PROFILE=FILE: per-phase timings of this command, written to FILE as JSON when it ends (see base/profile.ts).
  override async init(): Promise<void> {
    if (process.env.DKT_PROFILE) startProfile()
    await super.init()
  }

  override async finally(error: Error | undefined): Promise<void> {
    const report = profileReport()
    if (report && process.env.DKT_PROFILE) writeFileSync(process.env.DKT_PROFILE, `${JSON.stringify(report, null, 2)}\n`)
    await super.finally(error)
  }

  protected override async catch(error: OclifError): Promise<void> {
    if (error.oclif?.exit === 0) return // help or version output already done
    // A parse error is reported here; oclif would otherwise add an "unparsed command" warning outside production.
    this.parsed = true
    process.exitCode = exitCodeOf(error)
    process.stderr.write(`Error: ${errorSentence(error)}\n`)
    if (process.env.DEBUG || process.env.DKT_DEBUG) process.stderr.write(`${error.stack ?? ''}\n`)
  }
}
