/** Io is where a command writes: results to stdout, everything human to stderr (STYLE.md rule 9). */
export interface Io {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
  /** Whether stderr is a terminal: progress bars and colour only then. */
  stderrIsTTY: boolean
}

/** processIo is the Io of the running process. */
export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env: process.env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
  }
}
