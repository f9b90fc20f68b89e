import type { Counts, ThresholdResult } from '../result.js'
import { ms } from './table.js'

/**
 * Small figures the CI reporters (junit, markdown, compare) share: status classes, shares,
 * and a threshold's measured value written in the unit its budget was written in.
 */

/** StatusClasses are a status map summed by class. */
export interface StatusClasses {
  x2: number
  x3: number
  x4: number
  x5: number
}

/** statusClasses sums a status map (`{ "201": n, "429": n }`) into its classes. */
export function statusClasses(status: Counts['status']): StatusClasses {
  const c = { x2: 0, x3: 0, x4: 0, x5: 0 }
  for (const [code, n] of Object.entries(status)) {
    const k = Math.floor(Number(code) / 100)
    if (k === 2) c.x2 += n
    else if (k === 3) c.x3 += n
    else if (k === 4) c.x4 += n
    else if (k === 5) c.x5 += n
  }
  return c
}

/** share divides `n` by `of`, or returns null when there is nothing to divide by. */
export function share(n: number, of: number): number | null {
  return of > 0 ? n / of : null
}

/** num renders a plain number with at most three decimals and no trailing zeros. */
export function num(v: number): string {
  return String(+v.toFixed(3))
}

/** percent renders a fraction as a percentage with three significant digits: 0.123%, 12.3%, 100%. */
export function percent(f: number | null): string {
  if (f === null || Number.isNaN(f)) return '-'
  if (f === 0) return '0%'
  return `${+(f * 100).toPrecision(3)}%`
}

/** ThresholdParts is a threshold expression split into its stat, operator and budget as written. */
export interface ThresholdParts {
  stat: string
  op: string
  budget: string
}

/** splitExpr splits `p99 < 250ms` into its stat, operator and budget; the whole text is the stat when it does not parse. */
export function splitExpr(expr: string): ThresholdParts {
  const m = /^\s*(\S+?)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/.exec(expr)
  return m ? { stat: m[1]!, op: m[2]!, budget: m[3]! } : { stat: expr, op: '', budget: '' }
}

/**
 * measured renders a threshold's value in the unit of its budget, so the two read side by
 * side: `rate < 1%` measured 0.0042 → 0.42%; `p99 < 250ms` → 312ms; `rate > 50/s` → 48.2/s.
 */
export function measured(t: ThresholdResult): string {
  if (t.value === null) return 'no data'
  const budget = splitExpr(t.expr).budget
  if (/%$/.test(budget)) return percent(t.value)
  if (/\/\s*[\d.]*\s*[a-z]+$/.test(budget)) return `${num(t.value)}/s`
  if (/\d\s*(us|ms|s|m|h)$/.test(budget)) return ms(t.value)
  return num(t.value)
}
