import { describe, expect, it } from 'vitest'
import { compareResults, FLOORS, headline, regressed, regressionLines, renderComparison, renderComparisonMarkdown, type Unit } from '../../src/reporters/compare.js'
import type { RunResult } from '../../src/result.js'
import { fixture, markdownTables, stabilize } from '../fixtures/results/index.js'

describe('regressed: worse by more than the tolerance and by more than the floor', () => {
  it.each<[string, 'up' | 'down', Unit, number | null, number | null, boolean]>([
    ['latency 10ms → 12ms is +20%', 'up', 'ms', 10, 12, true],
    ['latency 10ms → 10.9ms is within 10%', 'up', 'ms', 10, 10.9, false],
    ['latency 0.1ms → 0.2ms is +100% but under the 1ms floor', 'up', 'ms', 0.1, 0.2, false],
    ['latency 0.5ms → 1.6ms passes the floor', 'up', 'ms', 0.5, 1.6, true],
    ['latency getting faster never regresses', 'up', 'ms', 50, 5, false],
    ['error rate 0 → 0.05% is under the 0.1pp floor', 'up', 'share', 0, 0.0005, false],
    ['error rate 0 → 0.5% regressed', 'up', 'share', 0, 0.005, true],
    ['rps 200 → 170/s is -15%', 'down', 'perSec', 200, 170, true],
    ['rps 200 → 185/s is within 10%', 'down', 'perSec', 200, 185, false],
    ['rps 2 → 1.5/s is -25% but under the 1/s floor', 'down', 'perSec', 2, 1.5, false],
    ['rps going up never regresses', 'down', 'perSec', 100, 300, false],
    ['overcount 0 → 1: one miscounted like is a regression', 'up', 'count', 0, 1, true],
    ['overcount 100 → 105 is within 10%', 'up', 'count', 100, 105, false],
    ['no data on one side never regresses', 'up', 'ms', null, 500, false],
  ])('%s', (_what, worse, unit, baseline, result, expected) => {
    expect(regressed(worse, unit, baseline, result, 0.1)).toBe(expected)
  })

  it('has the documented floors', () => expect(FLOORS).toEqual({ ms: 1, share: 0.001, perSec: 1, count: 0 }))
})

describe('compareResults', () => {
  it('finds nothing between a result and itself', () => {
    const c = compareResults(fixture('passed'), fixture('passed'), 0.1)
    expect(c.regressions).toEqual([])
    expect(c.diffs.map((d) => `${d.subject} ${d.metric}`)).toEqual([
      ...['organic', 'double-tap', 'no-token', 'junk', 'all'].flatMap((a) => ['p50', 'p95', 'p99', 'error rate', 'throttle rate', 'rps'].map((m) => `${a} ${m}`)),
      'policy per-user leak', 'integrity overcount', 'integrity undercount',
    ])
    expect(headline(c)).toBe('NO REGRESSION  33 metrics within the tolerance of 10% (and their floors)')
  })

  it('names what regressed, per metric direction', () => {
    const c = compareResults(fixture('passed'), fixture('failed'), 0.1)
    expect(c.regressions.map((d) => `${d.subject} ${d.metric}`)).toEqual([
      'organic p50', 'organic p95', 'organic p99', 'organic error rate', 'organic throttle rate',
      'junk error rate', 'all p50', 'all p95', 'all p99', 'all error rate', 'all throttle rate',
      'policy per-user leak', 'integrity overcount', 'integrity undercount',
    ])
    expect(headline(c)).toBe('REGRESSED  14 of 33 metrics got worse past the tolerance of 10%:')
    expect(regressionLines(c).slice(0, 5)).toEqual([
      'organic p50 3.02ms → 38.2ms (+1166%)', 'organic p95 18.1ms → 128ms (+609%)', 'organic p99 45.5ms → 142ms (+213%)',
      'organic error rate 0% → 3% (+3pp)', 'organic throttle rate 0% → 1.33% (+1.33pp)',
    ])
  })

  it('reads the other way round as an improvement, and a wide tolerance lets latency through but not new errors', () => {
    expect(compareResults(fixture('failed'), fixture('passed'), 0.1).regressions).toEqual([])
    const wide = compareResults(fixture('passed'), fixture('failed'), 20)
    expect(wide.regressions.map((d) => `${d.subject} ${d.metric}`)).toEqual([
      'organic error rate', 'organic throttle rate', 'junk error rate', 'all error rate', 'all throttle rate',
      'policy per-user leak', 'integrity overcount', 'integrity undercount',
    ])
  })

  it('counts a drop in throughput', () => {
    const slow: RunResult = fixture('passed')
    slow.actors.organic!.rps = 80
    expect(compareResults(fixture('passed'), slow, 0.1).regressions.map((d) => `${d.subject} ${d.metric}`)).toEqual(['organic rps'])
  })

  it('shows an actor or policy only one run has, without calling it a regression', () => {
    const other = fixture('passed')
    other.actors = { organic: other.actors.organic!, extra: other.actors.junk! }
    other.ratelimit = {}
    other.integrity = null
    const c = compareResults(fixture('passed'), other, 0.1)
    expect(c.regressions).toEqual([])
    expect(c.diffs.find((d) => d.subject === 'extra' && d.metric === 'p50')).toMatchObject({ baseline: null, result: 7.871 })
    expect(c.diffs.find((d) => d.subject === 'policy per-user')).toMatchObject({ baseline: 0, result: null })
  })
})

describe('rendering a comparison', () => {
  const c = compareResults(fixture('passed'), fixture('failed'), 0.1)
  it('as a terminal table', () => expect(stabilize(renderComparison(c))).toMatchSnapshot())
  it('as Markdown with well-formed tables', () => {
    const md = renderComparisonMarkdown(c)
    expect(stabilize(md)).toMatchSnapshot()
    const [t] = markdownTables(md)
    expect(t!.header).toEqual(['subject', 'metric', 'baseline', 'result', 'change', 'regressed'])
    expect(t!.rows).toHaveLength(33)
    expect(t!.rows[0]).toEqual(['organic', 'p50', '3.02ms', '38.2ms', '+35.2ms (+1166%)', '❌ regressed'])
  })
})
