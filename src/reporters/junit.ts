import type { Finding, RunResult, ThresholdResult } from '../result.js'
import { renderSummary } from './console.js'
import { measured, splitExpr } from './figures.js'
import type { Reporter } from './types.js'

/**
 * JUnit XML for CI systems (Jenkins, GitLab, GitHub test-report actions): one test suite per
 * run, and in it a test case for the run itself (an error when it was aborted), one per
 * threshold and one per defense finding; a failure carries the measured value and the
 * budget, or the finding's message and evidence.
 *
 * The document is valid against both schemas CI systems are built on: the Jenkins JUnit
 * schema and the stricter Apache Ant one (which requires `properties`, `system-out`,
 * `system-err`, a `hostname` and a timestamp without a zone, `package` and `id` on a
 * suite inside `testsuites`, and no attributes on `testsuites` itself). `hostname` is the target's host: the system under test.
 * Test names hold no measured figures, so CI can follow a check from run to run.
 */

interface Problem {
  tag: 'failure' | 'error'
  type: string
  message: string
  body: string
}

interface Case {
  classname: string
  name: string
  time: string
  problem?: Problem
}

// XML 1.0 cannot carry these at all, not even escaped: they become U+FFFD.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** xmlText escapes character data. */
export function xmlText(s: string): string {
  return s.replace(INVALID, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** xmlAttr escapes an attribute value (double-quoted), keeping line breaks and tabs as character references. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}

function attrs(a: Record<string, string>): string {
  return Object.entries(a).map(([k, v]) => ` ${k}="${xmlAttr(v)}"`).join('')
}

function seconds(msValue: number): string {
  return Number.isFinite(msValue) && msValue > 0 ? (msValue / 1000).toFixed(3) : '0'
}

function runCase(r: RunResult, suite: string): Case {
  const c: Case = { classname: `${suite}.run`, name: 'run completed', time: seconds(r.durationMs) }
  if (r.verdict === 'aborted') c.problem = { tag: 'error', type: 'aborted', message: `aborted: ${r.reason}`, body: `The run was aborted: ${r.reason}\nIts figures cover only the part that ran.` }
  return c
}

function thresholdCase(t: ThresholdResult, suite: string): Case {
  const c: Case = { classname: `${suite}.thresholds`, name: `${t.metric}: ${t.expr}`, time: '0' }
  if (!t.ok) {
    const { stat, op, budget } = splitExpr(t.expr)
    const value = measured(t)
    c.problem = {
      tag: 'failure', type: 'threshold',
      message: `${t.metric} ${stat} was ${value}; budget ${op} ${budget}`,
      body: `threshold ${t.metric}: ${t.expr}\nmeasured  ${stat} = ${value} (raw value ${t.value})\nbudget    ${stat} ${op} ${budget}`,
    }
  }
  return c
}

function findingCase(f: Finding, suite: string): Case {
  const c: Case = { classname: `${suite}.defenses`, name: f.actor === f.kind ? f.actor : `${f.actor} (${f.kind})`, time: '0' }
  if (!f.ok) {
    c.problem = { tag: 'failure', type: `defense:${f.kind}`, message: f.message, body: `${f.message}\n\nevidence:\n${JSON.stringify(f.evidence, null, 2)}` }
  }
  return c
}

function caseXml(c: Case): string {
  const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: c.time })}`
  if (!c.problem) return `${open}/>`
  const p = c.problem
  return `${open}>\n      <${p.tag}${attrs({ message: p.message, type: p.type })}>${xmlText(p.body)}</${p.tag}>\n    </testcase>`
}

function host(url: string): string {
  try {
    return new URL(url).host || 'localhost'
  } catch {
    return 'localhost'
  }
}

function timestamp(iso: string): string {
  const t = iso.slice(0, 19)
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t) ? t : '1970-01-01T00:00:00'
}

function properties(r: RunResult): string {
  const p: Array<[string, string]> = [
    ['likebench', r.likebench], ['scenario', r.scenario.name], ['scenario.file', r.scenario.file],
    ['seed', String(r.scenario.seed)], ['target', r.target.url], ['runId', r.runId], ['startedAt', r.startedAt],
    ['verdict', r.verdict], ['reason', r.reason], ['generator.saturated', String(r.generator.saturated)],
  ]
  return ['    <properties>', ...p.map(([name, value]) => `      <property${attrs({ name, value })}/>`), '    </properties>'].join('\n')
}

function generatorText(r: RunResult): string {
  const g = r.generator
  const lines = g.saturated ? [`WARNING: the load generator fell behind its own schedule; the figures describe the generator, not the target.`, ...g.reasons.map((x) => `reason: ${x}`)] : []
  return [...lines, ...g.notes.map((n) => `note: ${n}`)].join('\n')
}

/** renderJunit renders a result as a JUnit XML document. */
export function renderJunit(r: RunResult): string {
  const suite = r.scenario.name.trim() || 'likebench'
  const cases = [runCase(r, suite), ...r.thresholds.map((t) => thresholdCase(t, suite)), ...r.findings.map((f) => findingCase(f, suite))]
  const failures = String(cases.filter((c) => c.problem?.tag === 'failure').length)
  const errors = String(cases.filter((c) => c.problem?.tag === 'error').length)
  const tests = String(cases.length)
  const time = seconds(r.durationMs)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    `  <testsuite${attrs({ name: suite, package: 'likebench', id: '0', timestamp: timestamp(r.startedAt), hostname: host(r.target.url), tests, failures, errors, time })}>`,
    properties(r),
    ...cases.map(caseXml),
    `    <system-out>${xmlText(renderSummary(r, false))}</system-out>`,
    `    <system-err>${xmlText(generatorText(r))}</system-err>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/** junitReporter renders JUnit XML for CI. */
export const junitReporter: Reporter = {
  render: (r) => renderJunit(r),
}
