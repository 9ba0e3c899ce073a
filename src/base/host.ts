// This machine's name as dkt records it (claims, journals, run manifests, workers): the host name, or DKT_HOST,
// which lets one machine play several (tests, several workers on one big machine).
import {hostname} from 'node:os'

/** `DKT_HOST` when set (trimmed, non-empty), else the OS host name. Read on every call: tests set it per process. */
export function machineName(): string {
  const override = process.env.DKT_HOST?.trim()
  return override ? override : hostname()
}
