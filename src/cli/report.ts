import { appendFileSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { ExitCode, LikebenchError } from '../errors.js'
import type { RunResult } from '../result.js'
import type { Io } from './io.js'
import { writeFileAtomic } from './run.js'

/**
 * `likebench report <result.json>`: re-renders a saved result, so every report can be made
 * later from the JSON alone. `run` writes its reports through the same writeReports, from
 * the same JSON text, so the two produce the same bytes.
 */

/** ReportFiles maps a report format to the file it goes to (`-` for stdout). */
export type ReportFiles = Partial<Record<'json' | 'junit' | 'markdown', string>>

const LABEL = { json: 'result', junit: 'JUnit report', markdown: 'Markdown summary' } as const

/** writtenLines says where each report written to a file went, one line each. */
export function writtenLines(files: ReportFiles): string {
  return (['json', 'junit', 'markdown'] as const).filter((k) => files[k] !== undefined && files[k] !== '-').map((k) => `${LABEL[k]} written to ${files[k]}\n`).join('')
}

/**
 * writeReports renders and writes every requested report of `result`, whose JSON text is
 * `json`. It writes all it can before reporting the first failure, so one unwritable path
 * does not cost the other reports.
 */
export async function writeReports(result: RunResult, json: string, files: ReportFiles, io: Io): Promise<void> {
  const { reporters } = await import('../reporters/index.js')
  let failure: unknown
  for (const format of ['json', 'junit', 'markdown'] as const) {
    const file = files[format]
    if (file === undefined) continue
    const text = format === 'json' ? json : reporters[format].render(result, { color: false })
    try {
      if (file === '-') io.out(text)
      else writeFileAtomic(file, text)
    } catch (e) {
      failure ??= e
    }
  }
  if (failure !== undefined) throw failure
}

/** appendStepSummary appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when GitHub Actions set it; a failure only warns. */
export async function appendStepSummary(result: RunResult, io: Io): Promise<void> {
  const file = io.env.GITHUB_STEP_SUMMARY
  if (!file) return
  const { markdownReporter } = await import('../reporters/markdown.js')
  try {
    appendFileSync(file, markdownReporter.render(result, { color: false }) + '\n')
  } catch (e) {
    io.err(`warning: cannot append the summary to GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}\n`)
  }
}

interface ReportFlags {
  json?: string
  junit?: string
  markdown?: string
  color: boolean
}

/** registerReport adds `likebench report <result.json>`. */
export function registerReport(program: Command, io: Io): void {
  program
    .command('report')
    .description('re-render a saved result: the summary on stdout, or JUnit, Markdown or JSON files')
    .argument('<result>', 'a result file written by likebench run --out')
    .option('--junit <file>', 'write JUnit XML here (- for stdout)')
    .option('--markdown <file>', 'write the Markdown summary here (- for stdout)')
    .option('--json <file>', 'write the JSON result here (- for stdout)')
    .addOption(new Option('--no-color', 'no colours in the summary (also when NO_COLOR is set or stdout is not a terminal)'))
    .addHelpText('after', `
Examples:
  $ likebench report result.json                          the summary, as run printed it
  $ likebench report result.json --junit likebench.xml --markdown summary.md
  $ likebench report result.json --markdown - >> "$GITHUB_STEP_SUMMARY"

Exit codes: 0 rendered · 2 the file is missing, not JSON or not a likebench result`)
    .action(async (file: string, flags: ReportFlags) => {
      process.exitCode = await report(file, flags, io)
    })
}

async function report(file: string, flags: ReportFlags, io: Io): Promise<number> {
  const [{ loadResult }, { jsonReporter }, { renderSummary }] = await Promise.all([
    import('./load.js'), import('../reporters/json.js'), import('../reporters/console.js'),
  ])
  const result = loadResult(file)
  const files: ReportFiles = { json: flags.json, junit: flags.junit, markdown: flags.markdown }
  if (Object.values(files).filter((f) => f === '-').length > 1) {
    throw new LikebenchError('LB_USAGE', 'only one report can go to stdout (-)', { hint: 'write the others to files', exitCode: ExitCode.usage })
  }
  if (Object.values(files).every((f) => f === undefined)) {
    io.out(renderSummary(result, flags.color && !io.env.NO_COLOR && Boolean(process.stdout.isTTY)))
    return ExitCode.ok
  }
  await writeReports(result, jsonReporter.render(result, { color: false }), files, io)
  io.err(writtenLines(files))
  return ExitCode.ok
}
