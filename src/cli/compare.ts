import { InvalidArgumentError, Option, type Command } from 'commander'
import { ExitCode, LikebenchError } from '../errors.js'
import type { Io } from './io.js'

/**
 * `likebench compare <baseline.json> <result.json>`: a side-by-side diff of two runs of the
 * same scenario, exit 99 when a metric regressed past the tolerance (the rule is in
 * src/reporters/compare.ts and docs/ci.md).
 */

interface CompareFlags {
  tolerance: number
  markdown?: string
}

/** tolerance reads `10%` or a fraction such as `0.1`; above 100% is allowed (noisy latency). */
export function tolerance(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v)
  if (!m) throw new InvalidArgumentError('expected a percentage such as 10% (or a fraction such as 0.1)')
  return m[2] ? Number(m[1]) / 100 : Number(m[1])
}

/** registerCompare adds `likebench compare <baseline> <result>`. */
export function registerCompare(program: Command, io: Io): void {
  program
    .command('compare')
    .description('compare a result with a baseline of the same scenario; exit 99 when a metric regressed past the tolerance')
    .argument('<baseline>', 'the baseline result file (likebench run --out)')
    .argument('<result>', 'the result file to judge')
    .addOption(new Option('--tolerance <pct>', 'how much worse a metric may get before it counts as regressed').argParser(tolerance).default(0.1, '10%'))
    .option('--markdown <file>', 'also write the comparison as Markdown here (- for stdout instead of the table)')
    .addHelpText('after', `
Compared per actor: corrected p50/p95/p99, error and throttle rates, rps; per policy: leak;
integrity: overcount and undercount. A metric regressed when it got worse (latency, rates,
leak and counts up; rps down) by more than the tolerance AND by more than a floor (1ms,
0.1 percentage point, 1/s, 0 for integrity counts), so noise on tiny values does not count.

Examples:
  $ likebench compare baseline.json result.json
  $ likebench compare baseline.json result.json --tolerance 25% --markdown - >> "$GITHUB_STEP_SUMMARY"

Exit codes: 0 no regression · 2 unreadable files or different scenarios · 99 regressed`)
    .action(async (baseline: string, result: string, flags: CompareFlags) => {
      process.exitCode = await compare(baseline, result, flags, io)
    })
}

async function compare(baselineFile: string, resultFile: string, flags: CompareFlags, io: Io): Promise<number> {
  const [{ loadResult }, { compareResults, renderComparison, renderComparisonMarkdown }, { writeFileAtomic }] = await Promise.all([
    import('./load.js'), import('../reporters/compare.js'), import('./run.js'),
  ])
  const baseline = loadResult(baselineFile)
  const result = loadResult(resultFile)
  if (baseline.scenario.name !== result.scenario.name) {
    throw new LikebenchError('LB_COMPARE_SCENARIOS', `cannot compare runs of different scenarios: the baseline ran "${baseline.scenario.name}", the result ran "${result.scenario.name}"`, {
      hint: 'compare a result with a baseline of the same scenario (its name: field)', exitCode: ExitCode.usage,
    })
  }
  const c = compareResults(baseline, result, flags.tolerance)
  if (flags.markdown === '-') io.out(renderComparisonMarkdown(c))
  else {
    io.out(renderComparison(c))
    if (flags.markdown !== undefined) {
      writeFileAtomic(flags.markdown, renderComparisonMarkdown(c))
      io.err(`Markdown comparison written to ${flags.markdown}\n`)
    }
  }
  return c.regressions.length ? ExitCode.failed : ExitCode.ok
}
