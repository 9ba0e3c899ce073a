// This machine's name as dkt records it (claims, journals, run manifests, workers): the host name, or DKT_HOST,
// which lets one machine play several (tests, several workers on one big machine).
import {hostname} from 'node:os'

/** The OS host name, asked once per process: a scheduler names its machine several times per run and for each of thousands of sources (a syscall each). */
let osHostname: string | undefined

/** `DKT_HOST` when set (trimmed, non-empty), else the OS host name. Read on every call: tests set it per process. */
export function machineName(): string {
  const override = process.env.DKT_HOST?.trim()
  return override ? override : (osHostname ??= hostname())
}
