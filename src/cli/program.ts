import { Command } from 'commander'
import { VERSION } from '../version.js'
import type { Io } from './io.js'
import { registerServe } from './serve.js'
import { registerValidate } from './validate.js'
import { registerPlan } from './plan.js'
import { registerRun } from './run.js'
import { registerReport } from './report.js'
import { registerCompare } from './compare.js'

/**
 * buildProgram assembles the commander program. Each command lives in its own file and
 * imports its heavy machinery lazily inside its action, so `--help` stays instant.
 */
export function buildProgram(io: Io): Command {
  const program = new Command()
    .name('likebench')
    .description('Load testing and abuse simulation for like-APIs: honest latency, rate-limit and like-count verdicts.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run likebench --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
  registerServe(program, io)
  program.addHelpText(
    'after',
    `
Examples:
  $ likebench run scenarios/quickstart.yaml     run the quick start against the built-in target
  $ likebench validate scenarios/*.yaml         check scenario files, send nothing
  $ likebench plan scenarios/like-farm.yaml     show what a run would send, and when
  $ likebench run scenarios/ci-smoke.yaml --out result.json --junit likebench.xml
                                                gate a deploy: JUnit for CI, exit 99 on a failure
  $ likebench report result.json --markdown -   re-render a saved result
  $ likebench compare baseline.json result.json diff two runs; exit 99 on a regression

Exit codes:
  0 passed · 1 internal error · 2 usage error or invalid scenario · 3 target refused or
  unreachable · 4 aborted · 99 a threshold or a defense verdict failed`,
  )
  registerValidate(program, io)
  registerPlan(program, io)
  registerRun(program, io)
  registerReport(program, io)
  registerCompare(program, io)
  return program
}
