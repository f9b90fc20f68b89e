/**
 * Units of the scenario format and the CLI: durations (`500ms 10s 2m 1h`), rates
 * (`300/s 20/min 10/10s`) and ratios (`1% 0.5`). Each parser returns a number or an
 * error message meant for a human; the caller attaches where the text came from.
 *
 *   duration := number unit            unit := us | ms | s | m | h
 *   rate     := number "/" [number] per per := us | ms | s | sec | m | min | h | hour
 *   ratio    := number "%" | number     (a bare number must lie in 0..1)
 */

/** Parsed is a parse result: a value, or a message saying what is wrong and how to write it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string }

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const RATE_UNITS: Record<string, number> = {
  us: 0.001, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000,
}

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)$/
const RATE_RE = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(us|ms|s|sec|m|min|h|hour)$/

/** parseDuration reads `500ms`, `10s`, `1.5m` or `1h` into milliseconds. */
export function parseDuration(text: unknown): Parsed<number> {
  if (typeof text === 'number') {
    return { ok: false, message: `a duration needs a unit (got ${text})`, hint: `write ${text}ms or ${text}s` }
  }
  if (typeof text !== 'string') return { ok: false, message: 'expected a duration such as 500ms, 10s or 2m' }
  const m = DURATION_RE.exec(text.trim())
  if (!m) {
    return {
      ok: false,
      message: `"${text}" is not a duration`,
      hint: 'write a number and a unit: 500ms, 10s, 2m or 1h',
    }
  }
  return { ok: true, value: Number(m[1]) * DURATION_UNITS[m[2]!]! }
}

/** parseRate reads `300/s`, `20/min` or `10/10s` into requests per second. */
export function parseRate(text: unknown): Parsed<number> {
  if (typeof text === 'number') {
    return { ok: false, message: `a rate needs a unit (got ${text})`, hint: `write ${text}/s or ${text}/min` }
  }
  if (typeof text !== 'string') return { ok: false, message: 'expected a rate such as 300/s or 20/min' }
  const m = RATE_RE.exec(text.trim())
  if (!m) return { ok: false, message: `"${text}" is not a rate`, hint: 'write a count per time: 300/s, 20/min or 10/10s' }
  const per = (m[2] === undefined ? 1 : Number(m[2])) * RATE_UNITS[m[3]!]!
  if (per === 0) return { ok: false, message: `"${text}" divides by a zero period` }
  return { ok: true, value: (Number(m[1]) * 1000) / per }
}

/** parseRatio reads `1%` or `0.01` into a fraction between 0 and 1. */
export function parseRatio(text: unknown): Parsed<number> {
  if (typeof text === 'number') {
    if (text >= 0 && text <= 1) return { ok: true, value: text }
    return { ok: false, message: `a ratio must lie between 0 and 1 (got ${text})`, hint: `write ${text}% for a percentage` }
  }
  if (typeof text !== 'string') return { ok: false, message: 'expected a ratio such as 1% or 0.01' }
  const t = text.trim()
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t)
  if (pct) {
    const v = Number(pct[1]) / 100
    return v <= 1 ? { ok: true, value: v } : { ok: false, message: `"${text}" is more than 100%` }
  }
  if (/^\d+(?:\.\d+)?$/.test(t)) return parseRatio(Number(t))
  return { ok: false, message: `"${text}" is not a ratio`, hint: 'write a percentage such as 1% or a fraction such as 0.01' }
}

/** formatDuration renders milliseconds compactly for humans: 850ms, 12s, 1m30s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return s ? `${m}m${s}s` : `${m}m`
}

/** formatRate renders requests per second for humans: 300/s, 0.5/s, 20/min. */
export function formatRate(perSec: number): string {
  if (perSec > 0 && perSec < 1) return `${+(perSec * 60).toFixed(2)}/min`
  return `${+perSec.toFixed(2)}/s`
}
