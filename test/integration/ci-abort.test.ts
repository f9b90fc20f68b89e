import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { interruptCli, runCli, STACK_TRACE } from '../helpers/cli.js'
import { junitCounts, junitSchemaErrors, markdownTables } from '../fixtures/results/index.js'

/** The CI reports of a run that failed, and of one interrupted with Ctrl-C. */

const dir = mkdtempSync(join(tmpdir(), 'lb-ci-abort-'))
const f = (name: string) => join(dir, name)
const read = (name: string) => readFileSync(f(name), 'utf8')

describe('a failing run', () => {
  it('exits 99 with JUnit failures carrying the evidence, and a Markdown FAILED verdict', async () => {
    const r = await runCli(['run', 'scenarios/ci-smoke.yaml', '--duration', '2s', '--builtin-flaw', 'crash-on-bad-id',
      '--out', f('fail.json'), '--junit', f('fail.xml'), '--markdown', f('fail.md'), '-q'], { env: { TARGET_URL: 'builtin' }, timeoutMs: 30_000 })
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code).toBe(99)
    const xml = read('fail.xml')
    expect(await junitSchemaErrors(xml, 'jenkins')).toEqual([])
    expect(await junitSchemaErrors(xml, 'ant')).toEqual([])
    expect(junitCounts(xml).failures).toBeGreaterThan(0)
    expect(xml).toMatch(/<testcase name="junk \(malformed\)" classname="ci-smoke\.defenses" time="0">\n {6}<failure message="[^"]+" type="defense:malformed">[^<]*evidence:\n\{/)
    const md = read('fail.md')
    expect(md.split('\n')[0]).toBe('## ❌ likebench FAILED: ci-smoke')
    expect(md).toMatch(/^- defense junk \(malformed\): /m)
    markdownTables(md)
  }, 40_000)
})

describe('Ctrl-C', () => {
  it('still writes the requested JUnit and Markdown, marked aborted, and exits 4', async () => {
    // Interrupt once traffic is flowing (the start line comes once the target is up), however long that took.
    const r = await interruptCli(['run', 'scenarios/quickstart.yaml', '--out', f('abort.json'), '--junit', f('abort.xml'), '--markdown', f('abort.md')],
      (out) => out.stderr.includes('likebench: quickstart →'), { thenMs: 700 })
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code).toBe(4)
    for (const file of ['abort.json', 'abort.xml', 'abort.md']) expect(existsSync(f(file))).toBe(true)
    const xml = read('abort.xml')
    expect(await junitSchemaErrors(xml, 'ant')).toEqual([])
    expect(xml).toMatch(/<testcase name="run completed" classname="quickstart\.run" time="[\d.]+">\n {6}<error message="aborted: [^"]+" type="aborted">/)
    expect(junitCounts(xml).errors).toBe(1)
    expect(read('abort.md').split('\n')[0]).toBe('## ⚠️ likebench ABORTED: quickstart')
  }, 40_000)
})
