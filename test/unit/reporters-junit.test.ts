import { describe, expect, it } from 'vitest'
import { renderSummary } from '../../src/reporters/console.js'
import { renderJunit, xmlAttr, xmlText } from '../../src/reporters/junit.js'
import type { RunResult } from '../../src/result.js'
import { FIXTURES, fixture, junitCounts, junitSchemaErrors, stabilize, xmlUnescape } from '../fixtures/results/index.js'

const SCHEMAS = ['jenkins', 'ant'] as const

describe('JUnit reporter', () => {
  // system-out is the console summary, whose own tests pin it down; the snapshot masks it so
  // a change to the console does not read as a change to the JUnit report.
  it.each(FIXTURES)('%s matches its snapshot', (name) => {
    const xml = renderJunit(fixture(name))
    expect(xml).toContain(`<system-out>${xmlText(renderSummary(fixture(name), false))}</system-out>`)
    expect(stabilize(xml.replace(/<system-out>[^<]*<\/system-out>/, '<system-out>(the console summary)</system-out>'))).toMatchSnapshot()
  })

  it.each(FIXTURES.flatMap((f) => SCHEMAS.map((s) => [f, s] as const)))('%s is valid against the %s JUnit schema', async (name, schema) => {
    expect(await junitSchemaErrors(renderJunit(fixture(name)), schema)).toEqual([])
  })

  it('the schema check is not a rubber stamp: it refuses documents CI would choke on', async () => {
    const xml = renderJunit(fixture('failed'))
    expect(await junitSchemaErrors(xml.replace(/ hostname="[^"]*"/, ''), 'ant')).not.toEqual([])
    expect(await junitSchemaErrors(xml.replace('<testsuites>', '<testsuites><bogus/>'), 'jenkins')).not.toEqual([])
    expect(await junitSchemaErrors(xml.replace('</testsuite>', ''), 'jenkins')).not.toEqual([])
  })

  it('has a test case for the run, each threshold and each finding, and counts its failures', () => {
    for (const name of FIXTURES) {
      const r = fixture(name)
      const c = junitCounts(renderJunit(r))
      expect(c.cases).toBe(1 + r.thresholds.length + r.findings.length)
      expect(c.failures).toBe(r.thresholds.filter((t) => !t.ok).length + r.findings.filter((f) => !f.ok).length)
      expect(c.attrs).toMatchObject({ name: 'ci-smoke', tests: String(c.cases), failures: String(c.failures), errors: '0', time: '3.013' })
    }
  })

  it('puts the measured value and the budget in a threshold failure, and the evidence in a defense failure', () => {
    const xml = renderJunit(fixture('failed'))
    expect(xml).toContain('<failure message="latency{actor:organic} p99 was 142ms; budget &lt; 100ms" type="threshold">')
    expect(xml).toContain('<failure message="errors rate was 3.39%; budget &lt; 1%" type="threshold">')
    expect(xml).toMatch(/type="defense:ratelimit">6 admitted beyond[^<]*evidence:\n\{\n {2}"sent": 60,/)
  })

  it('marks an aborted run with an error on the run test case', async () => {
    const r: RunResult = { ...fixture('passed'), verdict: 'aborted', reason: 'interrupted (SIGINT) after 1.2s' }
    const xml = renderJunit(r)
    expect(xml).toContain('<error message="aborted: interrupted (SIGINT) after 1.2s" type="aborted">')
    expect(junitCounts(xml)).toMatchObject({ errors: 1, attrs: { errors: '1' } })
    for (const s of SCHEMAS) expect(await junitSchemaErrors(xml, s)).toEqual([])
  })

  it('escapes hostile names and messages, and stays valid', async () => {
    const evil = `<script>alert("x")</script> & 'q' ]]> \u0001\u001f tab\tnew\nline \ud800`
    const r = fixture('failed')
    r.scenario.name = evil
    r.actors = { [evil]: r.actors.organic! }
    r.findings = [{ actor: evil, kind: 'organic', ok: false, message: evil, evidence: { [evil]: evil } }]
    r.thresholds = [{ metric: `latency{actor:${evil}}`, expr: 'p99 < 100ms', value: 142.3, ok: false }]
    const xml = renderJunit(r)
    for (const s of SCHEMAS) expect(await junitSchemaErrors(xml, s)).toEqual([])
    expect(xml).not.toContain('<script>')
    expect(xml).not.toContain(']]>')
    const name = /<testcase name="([^"]*)" classname="[^"]*\.defenses"/.exec(xml)![1]!
    // What XML 1.0 cannot carry becomes U+FFFD; everything else comes back as written.
    expect(xmlUnescape(name)).toBe(`${evil.replace(/[\u0001\u001f\ud800]/g, '\uFFFD')} (organic)`)
  })

  it.each([
    ['a < b & c > d', 'a &lt; b &amp; c &gt; d', 'a &lt; b &amp; c &gt; d'],
    [`"it's"`, `"it's"`, '&quot;it&apos;s&quot;'],
    ['a\nb\tc\rd', 'a\nb\tc\rd', 'a&#10;b&#9;c&#13;d'],
    ['nul\u0000 bell\u0007 ok\u00e9\u{1F600}', 'nul\uFFFD bell\uFFFD ok\u00e9\u{1F600}', 'nul\uFFFD bell\uFFFD ok\u00e9\u{1F600}'],
  ])('escapes %j', (raw, text, attr) => {
    expect(xmlText(raw)).toBe(text)
    expect(xmlAttr(raw)).toBe(attr)
  })
})
