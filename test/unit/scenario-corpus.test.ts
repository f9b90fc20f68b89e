import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkScenario } from '../../src/scenarios/loader.js'
import { formatProblem } from '../../src/errors.js'

/**
 * The corpus of broken scenarios: each file in test/fixtures/broken is one mistake a real
 * user makes, and each row says exactly what likebench answers — `line:col  path  message`
 * and the hint — so a change that makes a message vaguer or points it elsewhere fails here.
 */
const DIR = 'test/fixtures/broken'

const EXPECTED: Array<[string, string[]]> = [
  ["01-unknown-top-key.yaml", [
    "3:1  actor  unknown key \"actor\"\n    hint: did you mean \"actors\"?",
  ]],
  ["02-unknown-actor-key.yaml", [
    "4:5  actors.organic.rates  unknown key \"rates\"\n    hint: did you mean \"rate\"?",
  ]],
  ["03-dash-ramp.yaml", [
    "4:19  actors.organic.rate.ramp  \"0-300/s\" is not a ramp\n    hint: write 0..300/s (two dots between the rates)",
  ]],
  ["04-duration-no-unit.yaml", [
    "4:30  actors.organic.rate.for  a duration needs a unit (got 30)\n    hint: write 30ms or 30s",
  ]],
  ["05-rate-no-unit.yaml", [
    "4:19  actors.organic.rate.hold  a rate needs a unit (got 300)\n    hint: write 300/s or 300/min",
  ]],
  ["06-unknown-kind.yaml", [
    "3:11  actors.farm.kind  unknown kind \"flod\"\n    hint: did you mean \"flood\"?",
  ]],
  ["07-missing-kind.yaml", [
    "3:5  actors.farm  kind is required\n    hint: one of: organic, flood, duplicate, toggle, spoof, unauthenticated, malformed",
  ]],
  ["08-threshold-unknown-actor.yaml", [
    "4:3  thresholds.latency{actor:organik}  no actor named \"organik\"\n    hint: did you mean \"organic\"?",
  ]],
  ["09-threshold-unknown-policy.yaml", [
    "6:3  thresholds.ratelimit{policy:per-user}  no policy named \"per-user\"\n    hint: expected one of: per-ip",
  ]],
  ["10-policy-unknown-endpoint.yaml", [
    "4:59  policy[0].on  the api has no endpoint \"likes\"\n    hint: did you mean \"like\"?",
  ]],
  ["11-non-loopback.yaml", [
    "2:8  target.url  api.example.com is not a loopback address\n    hint: likebench only targets loopback by default; if you own api.example.com, list it under target.allow and pass --allow-host api.example.com to run",
  ]],
  ["12-csv-missing.yaml", [
    "1:16  users.file  users file no-such-users.csv not found\n    hint: looked for <repo>/test/fixtures/broken/no-such-users.csv; paths are relative to the scenario file",
  ]],
  ["13-csv-no-token.yaml", [
    "1:16  users.file  users file users-no-token.csv has no token column (header: id,name)\n    hint: the first line names the columns: id,token[,ip]",
  ]],
  ["14-unset-env.yaml", [
    "1:9  target  environment variable LIKEBENCH_TEST_UNSET_URL is not set\n    hint: export LIKEBENCH_TEST_UNSET_URL=..., or give a default: ${LIKEBENCH_TEST_UNSET_URL:-value}",
  ]],
  ["15-not-yaml.yaml", [
    "3:1  (file)  not valid YAML: Flow map in block collection must be sufficiently indented and end with a }\n    hint: check the indentation, and that every bracket and quote opened above this point is closed",
  ]],
  ["16-tab-indent.yaml", [
    "2:1  (file)  not valid YAML: Tabs are not allowed as indentation\n    hint: indent with spaces, not tabs",
  ]],
  ["17-top-level-list.yaml", [
    "1:1  (file)  the top level must be a mapping of keys (name, target, actors, ...)\n    hint: see scenarios/quickstart.yaml for the shape of a scenario",
  ]],
  ["18-duplicate-key.yaml", [
    "3:3  (file)  not valid YAML: Map keys must be unique\n    hint: each key may appear once in a mapping; merge the two",
  ]],
  ["19-negative-connections.yaml", [
    "1:38  target.connections  must be > 0 (got -4)",
  ]],
  ["20-both-models.yaml", [
    "5:5  actors.organic.concurrency  an actor has either rate (open model) or concurrency (closed model), not both\n    hint: keep rate: for an honest open-model schedule",
  ]],
  ["21-no-schedule.yaml", [
    "3:5  actors.organic  an actor needs rate: (open model) or concurrency: with for: (closed model)\n    hint: e.g. rate: { hold: 50/s, for: 10s }",
  ]],
  ["22-concurrency-without-for.yaml", [
    "3:5  actors.organic.for  for is required with concurrency\n    hint: e.g. concurrency: 20, for: 30s",
  ]],
  ["23-threshold-bad-stat.yaml", [
    "4:14  thresholds.latency[0]  latency has no stat \"p99.9x\"\n    hint: expected one of: min, max, mean, avg, p50, p90, p95, p99, p999",
  ]],
  ["24-threshold-single-equals.yaml", [
    "4:16  thresholds.integrity[0]  \"overcount = 0\" uses =\n    hint: write == to compare: overcount == 0",
  ]],
  ["25-threshold-unknown-metric.yaml", [
    "4:3  thresholds.latancy  unknown metric \"latancy\"\n    hint: did you mean \"latency\"?",
  ]],
  ["26-threshold-fraction-no-percent.yaml", [
    "4:13  thresholds.errors[0]  5 is not a fraction between 0 and 1\n    hint: write 5% for a percentage",
  ]],
  ["27-bad-mode.yaml", [
    "4:11  actors.dup.mode  \"racy\" is not one of sequential, burst, race\n    hint: did you mean \"race\"?",
  ]],
  ["28-post-out-of-range.yaml", [
    "5:16  actors.farm.posts[1]  post 70 does not exist (posts.count is 10)\n    hint: use ids 1..10, or raise posts.count",
  ]],
  ["29-unknown-flaw.yaml", [
    "3:22  target.builtin.flaws[0]  unknown flaw \"racy-dedup\" (did you mean racy-dedupe?)\n    hint: valid flaws: no-dedupe, racy-dedupe, trust-forwarded, fixed-window, no-rate-limit, no-auth, crash-on-bad-id, stall:EVERY/FOR",
  ]],
  ["30-bad-rate-limit-spec.yaml", [
    "3:27  target.builtin.rateLimits[0]  \"10 per 10s\" is not COUNT/PERIOD\n    hint: write KEY=COUNT/PERIOD[,burst=N] with KEY user or ip, e.g. user=10/10s,burst=5 or ip=100/1s",
  ]],
  ["31-unknown-placeholder.yaml", [
    "2:29  api.headers.authorization  unknown placeholder {user.tokn}\n    hint: did you mean \"user.token\"?",
  ]],
  ["32-ratio-over-one.yaml", [
    "4:18  actors.organic.unlikeRatio  a ratio must lie between 0 and 1 (got 1.5)\n    hint: write 1.5% for a percentage",
  ]],
  ["33-stage-missing-for.yaml", [
    "6:9  actors.organic.rate[1].for  for is required\n    hint: A duration: a number and a unit (us, ms, s, m, h), e.g. 500ms, 10s, 2m.",
  ]],
  ["34-seed-string.yaml", [
    "1:7  seed  expected a number, got \"lucky\"",
  ]],
  ["35-zero-schedule.yaml", [
    "2:35  actors.organic.rate  this schedule sends nothing\n    hint: give at least one stage a rate above 0 for a while",
  ]],
  ["36-many-problems.yaml", [
    "2:25  target.conections  unknown key \"conections\"\n    hint: did you mean \"connections\"?",
    "2:49  target.timeout  a duration needs a unit (got 5)\n    hint: write 5ms or 5s",
    "4:60  actors.organic.maxInflight  unknown key \"maxInflight\"\n    hint: did you mean \"maxInFlight\"?",
  ]],
  ["37-empty.yaml", [
    "1:1  (file)  the file is empty\n    hint: start from scenarios/quickstart.yaml",
  ]],
  ["38-only-comments.yaml", [
    "1:1  (file)  the file has no content, only comments\n    hint: start from scenarios/quickstart.yaml",
  ]],
  ["39-missing-actors.yaml", [
    "1:1  actors  actors is required\n    hint: The traffic, one named actor each, e.g. actors: { organic: { kind: organic, rate: { hold: 50/s, for: 10s } } }",
  ]],
  ["40-threshold-tag-not-on-metric.yaml", [
    "4:3  thresholds.integrity{actor:organic}  integrity has no tag \"actor\"\n    hint: integrity takes no tags",
  ]],
  ["41-ftp-target.yaml", [
    "1:9  target  ftp: is not supported\n    hint: use an http:// or https:// URL",
  ]],
  ["42-stage-is-string.yaml", [
    "2:35  actors.organic.rate  has the wrong form (got \"300/s\")\n    hint: Open model: a stage or a list of stages, e.g. { hold: 300/s, for: 30s } or [ { ramp: 0..300/s, over: 10s }, { hold: 300/s, for: 50s } ]",
  ]],
  ["43-shape-and-reference.yaml", [
    "4:19  actors.organic.rate.ramp  \"0-300/s\" is not a ramp\n    hint: write 0..300/s (two dots between the rates)",
    "9:3  thresholds.latency{actor:organik}  no actor named \"organik\"\n    hint: did you mean \"organic\"?",
  ]],
  ["44-contradictory-flaws.yaml", [
    "3:21  target.builtin.flaws  no-dedupe and racy-dedupe both replace the dedupe\n    hint: pick one of them",
  ]],
]

function render(file: string): string[] {
  const r = checkScenario(join(DIR, file), {})
  expect(r.plan, `${file} should not compile`).toBeUndefined()
  return r.problems.map((p) => {
    expect(p.file).toBe(join(DIR, file))
    return formatProblem({ ...p, file: 'F', ...(p.hint ? { hint: p.hint.replace(process.cwd(), '<repo>') } : {}) }).replace(/^F:/, '')
  })
}

describe('broken scenario corpus', () => {
  it('has at least 30 mistakes, and a row for every fixture', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
    expect(files.length).toBeGreaterThanOrEqual(30)
    expect(EXPECTED.map(([f]) => f)).toEqual(files)
  })

  it.each(EXPECTED)('%s', (file, problems) => {
    expect(render(file)).toEqual(problems)
  })
})
