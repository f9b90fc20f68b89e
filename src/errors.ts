/**
 * Errors and exit codes: the one place where likebench's exit-code contract lives
 * (DESIGN.md section 3). Failed requests are never errors here: they are data in the
 * results. These classes are for usage, configuration and run-level failures only.
 */

/** ExitCode is the documented, tested exit-code table of the CLI. */
export const ExitCode = {
  /** The run passed (or the command did what it was asked). */
  ok: 0,
  /** A bug in likebench: an error it did not expect. */
  internal: 1,
  /** Bad command-line usage or an invalid scenario file. */
  usage: 2,
  /** The target was refused by the safety rails or did not answer the preflight. */
  target: 3,
  /** The run was aborted (SIGINT, or a threshold with abortOnFail). */
  aborted: 4,
  /** A threshold or a defense verdict failed (k6 uses 99 too). */
  failed: 99,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** LikebenchError is the base of every error likebench raises on purpose: a stable code, a hint, an exit code. */
export class LikebenchError extends Error {
  readonly code: string
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue

  constructor(code: string, message: string, opts: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LikebenchError'
    this.code = code
    this.hint = opts.hint
    this.exitCode = opts.exitCode ?? ExitCode.usage
  }
}

/** Problem is one thing wrong in a scenario file, located by file, line and column and by key path. */
export interface Problem {
  file: string
  line: number
  col: number
  /** Key path inside the document, e.g. `actors.farm.rate[0].ramp`; empty for the whole file. */
  path: string
  message: string
  hint?: string
}

/** ScenarioError carries every problem found in one or more scenario files; it exits with 2. */
export class ScenarioError extends LikebenchError {
  readonly problems: Problem[]

  constructor(problems: Problem[], message?: string) {
    const n = problems.length
    super('LB_SCENARIO_INVALID', message ?? `${n} problem${n === 1 ? '' : 's'} in the scenario; nothing was sent.`, {
      exitCode: ExitCode.usage,
    })
    this.name = 'ScenarioError'
    this.problems = problems
  }
}

/** formatProblem renders a problem as `file:line:col  path  message` with the hint on the next line. */
export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`
  const line = `${where}  ${p.path || '(file)'}  ${p.message}`
  return p.hint ? `${line}\n    hint: ${p.hint}` : line
}
