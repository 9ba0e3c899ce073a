// This machine's name as dkt records it (claims, journals, run manifests, workers): the host name, or DKT_HOST,
// which lets one machine play several (tests, several workers on one big machine).
import {hostname} from 'node:os'

/** The OS host name, asked once per process: a scheduler asks for the machine's name for each of thousands of sources. */
let osName: string | undefined

/** `DKT_HOST` when set (trimmed, non-empty), else the OS host name. DKT_HOST is read on every call: tests set it per process. */
export function machineName(): string {
  const override = process.env.DKT_HOST?.trim()
  return override ? override : (osName ??= hostname())
}
