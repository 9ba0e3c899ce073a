// Typed errors of dkt: each carries a stable code, the process exit code, and structured data.
//
// Exit codes (documented in README):
//   2  bad input or usage: the command was rejected and nothing changed
//   1  an operation failed: a remote, git, the lock, a run, a broken metadata file in `.dkt/` (the command line was
//      fine; the project must be repaired, so it is not bad input)
export const EXIT_BAD_INPUT = 2
export const EXIT_FAILED = 1

export class DktError extends Error {
  readonly code: string
  readonly exitCode: number
  readonly data: Record<string, unknown>

  constructor(message: string, options: {exitCode: number; data?: Record<string, unknown>; cause?: unknown}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = new.target.name
    this.exitCode = options.exitCode
    this.data = options.data ?? {}
  }
}

/** Bad input: the user can fix the command line. */
class BadInputError extends DktError {
  constructor(message: string, data?: Record<string, unknown>) {
    super(message, {exitCode: EXIT_BAD_INPUT, data})
  }
}

export class InvalidNameError extends BadInputError {}
export class InvalidArgumentError extends BadInputError {}
export class NotFoundError extends BadInputError {}
export class AmbiguousError extends BadInputError {}
export class AlreadyExistsError extends BadInputError {}
export class InUseError extends BadInputError {}
export class NotAProjectError extends BadInputError {}
export class UnknownKindError extends BadInputError {}
export class CycleError extends BadInputError {}
export class UnsupportedFormatError extends BadInputError {}

/** A failed operation: retrying later, or fixing the environment, may help. */
class OperationError extends DktError {
  constructor(message: string, options?: {data?: Record<string, unknown>; cause?: unknown}) {
    super(message, {exitCode: EXIT_FAILED, ...options})
  }
}

export class RemoteUnreachableError extends OperationError {}
/** Two people changed the same metadata differently (`dkt sync`): they settle it, then sync again. */
export class MergeConflictError extends OperationError {}
export class GitFailedError extends OperationError {}
export class BusyError extends OperationError {}
export class AlreadyRunningError extends OperationError {}
/** A remote refused our credentials (or has none): fix the token in `.dkt/secrets/`. */
export class AuthFailedError extends OperationError {}
/** The container engine could not run a container (missing image, engine error). */
export class ContainerFailedError extends OperationError {}
/** A metadata file in `.dkt/` that cannot be read (hand-edited, torn): the message names it and how to restore it. */
export class BrokenMetadataError extends OperationError {}
/** The disk holding `.dkt/` is full: the command recorded nothing. */
export class DiskFullError extends OperationError {}
