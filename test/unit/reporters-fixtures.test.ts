import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { reporters } from '../../src/reporters/index.js'
import { RunResultSchema, resultJsonSchema } from '../../src/result.js'
import { FIXTURES, fixture, markdownTables, stabilize } from '../fixtures/results/index.js'

describe('fixture results', () => {
  const validate = new Ajv2020({ strict: false }).compile(resultJsonSchema())
  it.each(FIXTURES)('%s validates against RunResultSchema and the published JSON Schema', (name) => {
    const r = fixture(name)
    const parsed = RunResultSchema.safeParse(r)
    expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 3))).toBe(true)
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true)
  })

  it('cover what the CI reporters show: thresholds, findings, a policy and integrity, passing and failing', () => {
    const [passed, failed] = [fixture('passed'), fixture('failed')]
    expect(passed.verdict).toBe('passed')
    expect(failed.verdict).toBe('failed')
    for (const r of [passed, failed]) {
      expect(r.thresholds.length).toBeGreaterThan(0)
      expect(r.findings.length).toBeGreaterThan(0)
      expect(Object.keys(r.ratelimit)).toEqual(['per-user'])
      expect(r.integrity).not.toBeNull()
    }
    expect(failed.thresholds.some((t) => !t.ok) && failed.findings.some((f) => !f.ok) && failed.generator.saturated).toBe(true)
  })
})

describe('the reporter registry', () => {
  it('registers the CI renderers beside console and json', () => {
    expect(Object.keys(reporters)).toEqual(['console', 'json', 'junit', 'markdown'])
  })

  it.each(FIXTURES)('every reporter renders %s to text without colour when asked', (name) => {
    for (const r of Object.values(reporters)) {
      const text = r.render(fixture(name), { color: false })
      expect(text).not.toMatch(/\u001b\[/)
      expect(text.endsWith('\n')).toBe(true)
    }
  })
})

describe('stabilize', () => {
  it('masks times, versions, run ids and ports', () => {
    expect(stabilize('likebench 0.1.0 · run 5f3a9c0d2e7b4a18 at 2026-03-02T10:15:30.123Z on http://127.0.0.1:41234'))
      .toBe('likebench <version> · run <runId> at <time> on http://127.0.0.1:<port>')
  })
})

describe('markdownTables', () => {
  it('reads a well-formed table', () => {
    expect(markdownTables('| a | b |\n| --- | ---: |\n| 1 | 2 \\| 3 |\n')).toEqual([{ header: ['a', 'b'], rows: [['1', '2 | 3']] }])
  })

  it.each([
    ['a row of another width', '| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n'],
    ['no separator row', '| a | b |\n| 1 | 2 |\n'],
  ])('refuses %s', (_what, md) => expect(() => markdownTables(md)).toThrow())
})
