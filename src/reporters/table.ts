/** table renders rows as aligned columns; numeric-looking cells are right-aligned. */
export function table(rows: string[][], indent = ''): string {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c).length)))
  const numeric = (c: string) => /^[-+]?[\d.,]+\s*(ms|s|%|\/s|µs)?$|^-$/.test(visible(c))
  return rows
    .map((r) => indent + r.map((c, i) => (i > 0 && numeric(c) ? pad(c, widths[i]!, true) : pad(c, widths[i]!, false))).join('  ').trimEnd())
    .join('\n')
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

function visible(s: string): string {
  return s.replace(ANSI, '')
}

function pad(s: string, w: number, right: boolean): string {
  const gap = ' '.repeat(Math.max(0, w - visible(s).length))
  return right ? gap + s : s + gap
}

/** ms renders a latency in milliseconds with sensible precision: 0.42ms, 12.3ms, 1,204ms. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-'
  if (v < 10) return `${v.toFixed(2)}ms`
  if (v < 100) return `${v.toFixed(1)}ms`
  return `${Math.round(v).toLocaleString('en-US')}ms`
}

/** int renders a count with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** pct renders a fraction as a percentage. */
export function pct(f: number): string {
  if (f === 0) return '0%'
  if (f < 0.001) return '<0.1%'
  return `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`
}
