/**
 * GitHub-flavoured Markdown building blocks for the reporters: escaping text that came from
 * a scenario or a target (actor names, messages, evidence), tables and fenced code.
 */

/**
 * mdText escapes text for inline Markdown: characters that would start emphasis, code,
 * links, HTML or a table cell boundary are escaped, and line breaks become spaces, so a
 * hostile actor name or message renders as the literal text it is.
 */
export function mdText(s: string): string {
  return s
    .replace(/\r\n?|\n/g, ' ')
    .replace(/[\\`*_[\]|~<>&]/g, (c) => `\\${c}`)
}

/** htmlText escapes text for the inside of an HTML block (`<details>`), where Markdown is not read but tags are. */
export function htmlText(s: string): string {
  return s.replace(/\r\n?|\n/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Align is a table column's alignment: left for text, right for figures. */
export type Align = 'l' | 'r'

/**
 * mdTable renders a table: a header row, a separator row, and every row padded or cut to
 * the header's number of cells (a GFM table whose rows disagree does not render as one).
 * Cells are taken as Markdown already: escape text with mdText first.
 */
export function mdTable(head: string[], rows: string[][], align: Align[] = []): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c || ' ').join(' | ')} |`
  const sep = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'))
  const fit = (r: string[]) => head.map((_, i) => r[i] ?? '')
  return [line(head), line(sep), ...rows.map((r) => line(fit(r)))].join('\n')
}

/** mdFence renders text as a fenced code block whose fence is longer than any backtick run inside it. */
export function mdFence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${text}\n${fence}`
}

/** mdCode renders text as an inline code span, or as escaped text when it holds a backtick or a line break. */
export function mdCode(s: string): string {
  return /[`\r\n|]/.test(s) || s === '' ? mdText(s) : `\`${s}\``
}
