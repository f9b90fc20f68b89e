import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, STACK_TRACE, type CliResult } from '../helpers/cli.js'
import { junitCounts, junitSchemaErrors, markdownTables } from '../fixtures/results/index.js'

/**
 * The CI gate end to end: `run` writes JUnit, Markdown and $GITHUB_STEP_SUMMARY; `report`
 * re-renders the same bytes from the saved JSON; `compare` passes a run against itself and
 * catches a deliberately slowed one. Short runs of the quick start on the built-in target.
 */

const dir = mkdtempSync(join(tmpdir(), 'lb-ci-'))
const f = (name: string) => join(dir, name)
const read = (name: string) => readFileSync(f(name), 'utf8')
let run: CliResult

beforeAll(async () => {
  writeFileSync(f('step.md'), '# an earlier step\n')
  run = await runCli(['run', 'scenarios/quickstart.yaml', '--duration', '2s', '--out', f('a.json'), '--junit', f('a.xml'), '--markdown', f('a.md')], {
    env: { GITHUB_STEP_SUMMARY: f('step.md') }, timeoutMs: 30_000,
  })
}, 40_000)

describe('likebench run --junit --markdown', () => {
  it('passes and writes every report', () => {
    expect(run.stderr).not.toMatch(STACK_TRACE)
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`JUnit report written to ${f('a.xml')}`)
    expect(run.stderr).toContain(`Markdown summary written to ${f('a.md')}`)
  })

  it('writes JUnit that both schemas accept, with a test case per check', async () => {
    const xml = read('a.xml')
    expect(await junitSchemaErrors(xml, 'jenkins')).toEqual([])
    expect(await junitSchemaErrors(xml, 'ant')).toEqual([])
    const result = JSON.parse(read('a.json')) as { findings: unknown[]; thresholds: unknown[] }
    expect(junitCounts(xml)).toMatchObject({ cases: 1 + result.findings.length + result.thresholds.length, failures: 0, errors: 0 })
  })

  it('writes Markdown whose tables are tables, verdict first', () => {
    const md = read('a.md')
    expect(md.split('\n')[0]).toBe('## ✅ likebench PASSED: quickstart')
    expect(markdownTables(md).length).toBeGreaterThanOrEqual(3)
  })

  it('appends the same Markdown to $GITHUB_STEP_SUMMARY', () => {
    expect(read('step.md')).toBe(`# an earlier step\n${read('a.md')}\n`)
  })
})

describe('likebench report', () => {
  it('reproduces byte for byte the JSON, JUnit and Markdown that run wrote', async () => {
    const r = await runCli(['report', f('a.json'), '--json', f('b.json'), '--junit', f('b.xml'), '--markdown', f('b.md')])
    expect(r.code).toBe(0)
    expect(read('b.json')).toBe(read('a.json'))
    expect(read('b.xml')).toBe(read('a.xml'))
    expect(read('b.md')).toBe(read('a.md'))
  })

  it('prints the summary run printed, or a report on stdout with -', async () => {
    const summary = await runCli(['report', f('a.json')])
    expect(summary).toMatchObject({ code: 0, stdout: run.stdout })
    const md = await runCli(['report', f('a.json'), '--markdown', '-'])
    expect(md).toMatchObject({ code: 0, stdout: read('a.md') })
  })

  it.each([
    ['missing', () => f('nope.json'), /^error: cannot read the result .*nope\.json: no such file$/m],
    ['not JSON', () => (writeFileSync(f('bad.json'), 'name: x\n'), f('bad.json')), /^error: .*bad\.json is not JSON: /m],
    ['not a likebench result', () => (writeFileSync(f('other.json'), '{"hello": 1}'), f('other.json')), /^error: .*other\.json is not a likebench result: it has no "likebench" and "schema" fields$/m],
    ['a damaged likebench result', () => (writeFileSync(f('damaged.json'), read('a.json').replace('"verdict": "passed"', '"verdict": "great"')), f('damaged.json')), /^error: .*damaged\.json is not a likebench result: verdict: Invalid option: expected one of "passed"\|"failed"\|"aborted"$/m],
    ['of another schema version', () => (writeFileSync(f('v2.json'), read('a.json').replace('"schema": 1', '"schema": 2')), f('v2.json')), /is a likebench result of schema 2; this likebench reads schema 1/],
  ])('refuses a result file that is %s: exit 2, a hint, no stack trace', async (_what, file, message) => {
    const r = await runCli(['report', file()])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/^hint: /m)
    expect(r.stderr).not.toMatch(STACK_TRACE)
  })
})

describe('likebench compare', () => {
  it('finds no regression between a result and itself: exit 0', async () => {
    const r = await runCli(['compare', f('a.json'), f('a.json')])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^NO REGRESSION {2}\d+ metrics within the tolerance of 10%/m)
  })

  it('catches a deliberately slowed run: exit 99, naming what regressed', async () => {
    const slow = await runCli(['run', 'scenarios/quickstart.yaml', '--duration', '2s', '--builtin-latency', '20ms', '--out', f('slow.json'), '-q'], { timeoutMs: 30_000 })
    expect(slow.code).toBe(0)
    const r = await runCli(['compare', f('a.json'), f('slow.json'), '--markdown', f('cmp.md')])
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code).toBe(99)
    expect(r.stdout).toMatch(/^organic\s+p50\s.*REGRESSED$/m)
    expect(r.stdout).toMatch(/^REGRESSED {2}\d+ of \d+ metrics got worse past the tolerance of 10%:\n {2}organic p50 [\d.]+ms → [\d.]+ms \(\+\d+%\)/m)
    const [table] = markdownTables(read('cmp.md'))
    expect(table!.rows.find((row) => row[0] === 'organic' && row[1] === 'p50')![5]).toBe('❌ regressed')
  }, 40_000)

  it('refuses results of different scenarios: exit 2', async () => {
    writeFileSync(f('smoke.json'), read('a.json').replace('"name": "quickstart"', '"name": "ci-smoke"'))
    const r = await runCli(['compare', f('a.json'), f('smoke.json')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('error: cannot compare runs of different scenarios: the baseline ran "quickstart", the result ran "ci-smoke"')
    expect(r.stderr).toMatch(/^hint: /m)
  })

  it('refuses a tolerance that is not one', async () => {
    const r = await runCli(['compare', f('a.json'), f('a.json'), '--tolerance', 'lots'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/expected a percentage such as 10%/)
  })
})
