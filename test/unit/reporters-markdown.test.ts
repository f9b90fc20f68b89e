import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../src/reporters/markdown.js'
import { htmlText, mdFence, mdTable, mdText } from '../../src/reporters/md.js'
import type { RunResult } from '../../src/result.js'
import { FIXTURES, fixture, markdownTables, stabilize } from '../fixtures/results/index.js'

describe('Markdown reporter', () => {
  it.each(FIXTURES)('%s matches its snapshot', (name) => {
    expect(stabilize(renderMarkdown(fixture(name)))).toMatchSnapshot()
  })

  it.each(FIXTURES)('%s renders every table as a GFM table', (name) => {
    const tables = markdownTables(renderMarkdown(fixture(name)))
    expect(tables.map((t) => t.header[0])).toEqual([
      'result', 'actor', 'actor', 'result', 'policy', 'policy', 'checked posts', ...(name === 'failed' ? ['post'] : []), 'cpu',
    ])
  })

  it('puts the verdict first and the saturated generator right under it', () => {
    const md = renderMarkdown(fixture('failed'))
    const lines = md.split('\n')
    expect(lines[0]).toBe('## ❌ likebench FAILED: ci-smoke')
    expect(lines[2]).toBe('**FAILED**: 6 thresholds and 5 defenses failed.')
    expect(md).toContain('- threshold `latency{actor:organic}`: p99 was **142ms**, budget \\< 100ms')
    expect(md.indexOf('> [!WARNING]')).toBeLessThan(md.indexOf('### Thresholds'))
    expect(renderMarkdown(fixture('passed'))).not.toContain('[!WARNING]')
  })

  it('shows thresholds as measured vs budget, in the budget\'s unit', () => {
    const [, ...rows] = markdownTables(renderMarkdown(fixture('failed')))[0]!.rows.map((r) => r.slice(2))
    expect(rows).toEqual([['p50', '< 20ms', '38.2ms'], ['rate', '< 1%', '3.39%'], ['rate', '< 1%', '1.33%'], ['overcount', '== 0', '2'], ['undercount', '== 0', '1']])
  })

  it('says aborted when the run was', () => {
    const md = renderMarkdown({ ...fixture('passed'), verdict: 'aborted', reason: 'interrupted (SIGINT) after 1.2s' })
    expect(md.split('\n').slice(0, 3)).toEqual(['## ⚠️ likebench ABORTED: ci-smoke', '', '**ABORTED**: interrupted (SIGINT) after 1.2s'])
  })

  it('renders without the optional sections: no thresholds, findings, policies or integrity', () => {
    const r: RunResult = { ...fixture('passed'), thresholds: [], findings: [], ratelimit: {}, integrity: null }
    const md = renderMarkdown(r)
    expect(md).not.toMatch(/### Thresholds|### Defenses/)
    expect(markdownTables(md).map((t) => t.header[0])).toEqual(['actor', 'actor', 'cpu'])
  })

  it('escapes hostile actor names and messages: tables keep their shape, nothing turns into HTML', () => {
    const evil = '<img src=x onerror=alert(1)> | **bold** `code` [link](http://x) \\ & ~~s~~\nnext'
    const r = fixture('failed')
    r.actors = { [evil]: r.actors.organic! }
    r.findings = [{ actor: evil, kind: evil, ok: false, message: evil, evidence: { note: '```\n</details>' } }]
    r.ratelimit = { [evil]: r.ratelimit['per-user']! }
    r.generator.reasons = [evil]
    const md = renderMarkdown(r)
    const tables = markdownTables(md)
    const flat = evil.replace('\n', ' ')
    expect(tables[1]!.rows[0]![0]).toBe(flat)
    expect(tables.find((t) => t.header[3] === 'finding')!.rows[0]).toEqual(['❌ BROKEN', flat, flat, flat])
    // (A URL in the text may become a link: GFM autolinks it, which is harmless.)
    const html = marked.parse(md, { async: false })
    expect(html).not.toMatch(/<img|<strong>bold|<code>code|<del>|>link<\/a>/)
    expect(html).toContain('<summary>evidence: &lt;img src=x onerror=alert(1)&gt; | **bold**')
    expect(html).toContain('<pre><code class="language-json">{\n  &quot;note&quot;: &quot;```\\n&lt;/details&gt;&quot;\n}\n</code></pre>')
  })
})

describe('Markdown helpers', () => {
  it('htmlText escapes for an HTML block', () => expect(htmlText('<a href="x">&\n')).toBe('&lt;a href=&quot;x&quot;&gt;&amp; '))

  it.each([
    ['a|b', 'a\\|b'],
    ['*x* _y_ `z`', '\\*x\\* \\_y\\_ \\`z\\`'],
    ['<b>&amp;</b>', '\\<b\\>\\&amp;\\</b\\>'],
    ['one\ntwo\r\nthree', 'one two three'],
  ])('mdText(%j)', (raw, md) => expect(mdText(raw)).toBe(md))

  it('mdTable pads short rows and cuts long ones to the header', () => {
    expect(mdTable(['a', 'b'], [['1'], ['1', '2', '3']], ['l', 'r'])).toBe('| a | b |\n| --- | ---: |\n| 1 |   |\n| 1 | 2 |')
  })

  it('mdFence outgrows any backtick run inside', () => {
    expect(mdFence('a ```` b', 'json')).toBe('`````json\na ```` b\n`````')
  })
})
