import { CommanderError } from 'commander'
import { ExitCode, LikebenchError, ScenarioError, formatProblem } from '../errors.js'
import { processIo, type Io } from './io.js'
import { buildProgram } from './program.js'

/** exitCodeFor turns whatever a command threw into an exit code, printing it for a human. */
export function exitCodeFor(err: unknown, io: Io): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (with a "did you mean" where it has one).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok
    }
    return ExitCode.usage
  }
  if (err instanceof ScenarioError) {
    io.err(err.problems.map(formatProblem).join('\n') + '\n' + err.message + '\n')
    return err.exitCode
  }
  if (err instanceof LikebenchError) {
    io.err(`error: ${err.message}\n`)
    if (err.hint) io.err(`hint: ${err.hint}\n`)
    return err.exitCode
  }
  const msg = err instanceof Error ? err.message : String(err)
  io.err(`internal error: ${msg}\nThis is a bug in likebench; please report it with the command you ran.\n`)
  if (io.env.LIKEBENCH_DEBUG && err instanceof Error && err.stack) io.err(err.stack + '\n')
  return ExitCode.internal
}

async function main(): Promise<void> {
  // `likebench plan x.yaml | head` closes stdout early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw e
    })
  }
  const io = processIo()
  try {
    await buildProgram(io).parseAsync(process.argv)
  } catch (err) {
    process.exitCode = exitCodeFor(err, io)
  }
}

await main()
