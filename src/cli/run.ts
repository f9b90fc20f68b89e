import { renameSync, writeFileSync } from 'node:fs'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { ExitCode, LikebenchError } from '../errors.js'
import type { RunResult } from '../result.js'
import { parseDuration, parseRate } from '../units.js'
import { MAX_WORKERS } from '../engine/split.js'
import type { Io } from './io.js'

/** RunFlags are the options of `likebench run` as commander parses them. */
interface RunFlags {
  target?: string
  out?: string
  junit?: string
  markdown?: string
  seed?: number
  duration?: number
  rateScale?: number
  allowHost: string[]
  maxRate?: number
  maxDuration?: number
  builtinFlaw: string[]
  builtinRateLimit: string[]
  builtinLatency?: string
  quiet?: boolean
  color: boolean
  workers: number | 'auto'
}

const collect = (v: string, prev: string[]) => [...prev, v]

function wholeNumber(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number')
  return Number(v)
}

function workerCount(v: string): number | 'auto' {
  if (v === 'auto') return v
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected auto or a whole number of at least 1')
  if (Number(v) > MAX_WORKERS) throw new InvalidArgumentError(`at most ${MAX_WORKERS} worker threads`)
  return Number(v)
}

function positive(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0')
  return n
}

function duration(v: string): number {
  const r = parseDuration(v)
  if (!r.ok) throw new InvalidArgumentError(`${r.message}${r.hint ? ` (${r.hint})` : ''}`)
  if (r.value <= 0) throw new InvalidArgumentError('expected a duration above 0')
  return r.value
}

function rate(v: string): number {
  const r = /^\d+(\.\d+)?$/.test(v) ? { ok: true as const, value: Number(v) } : parseRate(v)
  if (!r.ok) throw new InvalidArgumentError(`${r.message}${r.hint ? ` (${r.hint})` : ''}`)
  return r.value
}

/** exitCodeOf maps a verdict to the process exit code (DESIGN.md section 3). */
export function exitCodeOf(r: RunResult): number {
  return r.verdict === 'passed' ? ExitCode.ok : r.verdict === 'aborted' ? ExitCode.aborted : ExitCode.failed
}

/** writeFileAtomic writes through a temporary file and a rename, so a reader never sees half a report. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  } catch (e) {
    throw new LikebenchError('LB_WRITE', `cannot write ${file}: ${(e as Error).message}`, { hint: 'check that the directory exists and is writable', exitCode: ExitCode.internal })
  }
}

/** registerRun adds `likebench run <scenario>`. */
export function registerRun(program: Command, io: Io): void {
  program
    .command('run')
    .description('run a scenario: progress on stderr, the summary on stdout, exit 99 when a defense or threshold fails')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--target <url>', 'send to this URL instead of the scenario\'s (or builtin for the reference like-API)')
    .option('-o, --out <file>', 'write the JSON result here')
    .option('--junit <file>', 'write JUnit XML here (a test case per threshold and per defense)')
    .option('--markdown <file>', 'write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when it is set)')
    .option('--seed <n>', 'override the scenario\'s seed', wholeNumber)
    .option('--duration <d>', 'stretch or shrink the whole schedule to last this long, e.g. 30s', duration)
    .option('--rate-scale <x>', 'multiply every rate of the schedule, e.g. 0.5', positive)
    .option('--workers <n>', 'worker threads to send from: a number, or auto (the cores, as many as the peak rate needs)', workerCount, 'auto')
    .option('--allow-host <host>', 'confirm you own a non-loopback host the scenario allows (repeatable)', collect, [])
    .option('--max-rate <r>', 'raise the cap on the schedule\'s peak rate (default 100000/s)', rate)
    .option('--max-duration <d>', 'raise the cap on the run\'s length (default 30m)', duration)
    .option('--builtin-flaw <name>', 'plant a flaw in the built-in target (repeatable; see likebench serve --help)', collect, [])
    .option('--builtin-rate-limit <spec>', 'a rate limit of the built-in target, e.g. user=10/10s,burst=5 (repeatable)', collect, [])
    .option('--builtin-latency <spec>', 'modelled latency of the built-in target, e.g. 2ms±1ms')
    .option('-q, --quiet', 'no live progress and no summary: only the verdict line')
    .addOption(new Option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)'))
    .addHelpText('after', `
Examples:
  $ likebench run scenarios/quickstart.yaml
  $ likebench run scenarios/duplicate-race.yaml --builtin-flaw racy-dedupe --out result.json
  $ likebench run scenarios/viral-post.yaml --target http://127.0.0.1:8080 --rate-scale 0.5
  $ likebench run scenarios/ci-smoke.yaml --target "$TARGET_URL" --out result.json --junit likebench.xml --markdown summary.md

Exit codes: 0 passed · 2 invalid scenario · 3 target refused or unreachable · 4 aborted · 99 failed`)
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await run(file, flags, io)
    })
}

async function run(file: string, flags: RunFlags, io: Io): Promise<number> {
  const [{ loadScenario }, { applyOverrides }, { runPlan }, { renderSummary }, { jsonReporter }, { progress }, { writeReports, writtenLines, appendStepSummary }] = await Promise.all([
    import('../scenarios/loader.js'), import('../scenarios/overrides.js'), import('../engine/runner.js'),
    import('../reporters/console.js'), import('../reporters/json.js'), import('../reporters/progress.js'), import('./report.js'),
  ])
  const plan = applyOverrides(loadScenario(file, io.env), {
    ...(flags.target === undefined ? {} : { target: flags.target }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.duration === undefined ? {} : { durationMs: flags.duration }),
    ...(flags.rateScale === undefined ? {} : { rateScale: flags.rateScale }),
    builtinFlaws: flags.builtinFlaw, builtinRateLimits: flags.builtinRateLimit,
    ...(flags.builtinLatency === undefined ? {} : { builtinLatency: flags.builtinLatency }),
  })
  const color = flags.color && !io.env.NO_COLOR && Boolean(process.stdout.isTTY)
  const live = progress(plan.durationMs, process.stderr, flags.quiet ? 'off' : io.stderrIsTTY ? 'bar' : 'plain')
  const stop = new AbortController()
  const interrupt = () => {
    if (!stop.signal.aborted) io.err('\nstopping: no new requests; waiting briefly for those in flight, then writing the reports…\n')
    stop.abort()
  }
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
  let result: RunResult
  try {
    result = await runPlan(plan, {
      limits: {
        maxRate: flags.maxRate ?? 100_000,
        maxDurationMs: flags.maxDuration ?? 30 * 60_000,
        allowHosts: flags.allowHost,
      },
      signal: stop.signal,
      workers: flags.workers,
      onSnapshot: (s) => live.update(s),
      onStart: ({ url, builtin }) => {
        if (!flags.quiet) io.err(`likebench: ${plan.name} → ${builtin ? `built-in target at ${url}` : url} for ${Math.round(plan.durationMs / 1000)}s\n`)
        live.start()
      },
    })
  } finally {
    live.stop()
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }
  // Every report is rendered from the JSON text, as `likebench report` renders it later, so both write the same bytes.
  const json = jsonReporter.render(result, { color: false })
  const doc = JSON.parse(json) as RunResult
  const files = { json: flags.out, junit: flags.junit, markdown: flags.markdown }
  await writeReports(doc, json, files, io)
  await appendStepSummary(doc, io)
  const summary = renderSummary(result, color)
  io.out(flags.quiet ? summary.trimEnd().split('\n').pop()! + '\n' : summary)
  if (!flags.quiet) io.err(writtenLines(files))
  return exitCodeOf(result)
}
