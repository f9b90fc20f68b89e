/**
 * Running a scenario from YAML text end to end, for the actor integration tests: compile it
 * with checkScenarioText, run it with runPlan (the built-in target is forked from dist/, so
 * build first), and pick an actor's finding out of the result.
 */
import { runPlan, type RunOptions } from '../../src/engine/runner.js'
import type { Finding, RunResult } from '../../src/result.js'
import { checkScenarioText } from '../../src/scenarios/loader.js'

/** runYaml compiles `yaml` and runs it; a scenario that does not compile throws with its problems. */
export async function runYaml(yaml: string, opts: RunOptions = {}): Promise<RunResult> {
  const r = checkScenarioText(yaml, 'test.yaml', {})
  if (!r.plan) throw new Error(r.problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`).join('\n'))
  return runPlan(r.plan, opts)
}

/** findingOf returns the finding of actor `name`, failing loudly when there is none. */
export function findingOf(result: RunResult, name: string): Finding {
  const f = result.findings.find((x) => x.actor === name)
  if (!f) throw new Error(`no finding for ${name}: ${JSON.stringify(result.findings)}`)
  return f
}

/** builtinTarget renders a `target:` block for the built-in target with flaws and rate limits, without warm-up. */
export function builtinTarget(flaws: string[] = [], rateLimits: string[] = [], extra = ''): string {
  return `target: { url: builtin, warmup: 0s, builtin: { flaws: ${JSON.stringify(flaws)}, rateLimits: ${JSON.stringify(rateLimits)}${extra} } }`
}

/** spamFlood renders a flood actor named spam: three accounts from one source address, liking `posts` at `rate` for `seconds`. */
export function spamFlood(posts: number[], rate: string, seconds: number): string {
  return `actors:
  spam:
    kind: flood
    accounts: 3
    ips: { count: 1, via: source }
    posts: ${JSON.stringify(posts)}
    rate: { hold: ${rate}, for: ${seconds}s }
`
}
