/**
 * The per-second timeline: one row of numbers per second of the run, plus that second's
 * latency histogram, kept encoded.
 *
 * Only the current second has a live histogram; when a completion lands in a later second,
 * the current one is closed (its p50/p99 computed, its histogram encoded into the row)
 * and the same histogram is reset and reused. Memory therefore grows by one row per
 * second — six numbers and a compressed histogram of a few hundred bytes to a few KB —
 * not with the number of requests.
 *
 * The encoded histograms are what make timelines merge exactly: a percentile cannot be
 * added, so where two timelines both have latencies in a second, the merged row's p50/p99
 * are re-derived from the sum of the two seconds' histograms.
 *
 * Counters go to the row of their own second (`sent` by send time, the rest by end time).
 * A latency that ends in a second already closed — rare, since completions arrive in time
 * order — is recorded into the current second instead.
 */
import { addEncoded, decode, encode, histogram, type Histogram } from './hdr.js'

/** TimelineRow is one second of the run (`t` is its start in ms from the run's start); latencies in ms. */
export interface TimelineRow {
  t: number
  sent: number
  ok: number
  throttled: number
  errors: number
  p50: number
  p99: number
}

/** EncodedTimeline is a timeline as plain arrays, index = second; `hdr` holds each second's encoded histogram ('' if none). */
export interface EncodedTimeline {
  sent: number[]
  ok: number[]
  throttled: number[]
  errors: number[]
  p50: number[]
  p99: number[]
  hdr: string[]
}

/** Outcome classes a completion can count as in the timeline. */
export const OK = 0
export const THROTTLED = 1
export const ERROR = 2
/** Neither ok, throttled nor an error: rejected (other 4xx) or aborted by likebench. */
export const UNCOUNTED = 3

const COLUMNS = ['sent', 'ok', 'throttled', 'errors', 'p50', 'p99'] as const

/** Timeline accumulates rows per second with O(1) work per completion. */
export class Timeline {
  private readonly rows: EncodedTimeline = { sent: [], ok: [], throttled: [], errors: [], p50: [], p99: [], hdr: [] }
  private readonly open: Histogram = histogram()
  private cur = 0

  /** add counts one finished request: sent in `sentSec`, ended in `endSec`, with latency in µs (< 0: none). */
  add(sentSec: number, endSec: number, kind: number, latencyUs: number): void {
    const r = this.rows
    this.grow(sentSec > endSec ? sentSec : endSec)
    r.sent[sentSec]!++
    if (kind === OK) r.ok[endSec]!++
    else if (kind === THROTTLED) r.throttled[endSec]!++
    else if (kind === ERROR) r.errors[endSec]!++
    if (latencyUs < 0) return
    if (endSec > this.cur) this.moveTo(endSec)
    this.open.recordValue(latencyUs)
  }

  /** toRows renders the timeline as rows, the current second included. */
  toRows(): TimelineRow[] {
    const e = this.encode()
    return e.sent.map((sent, i) => ({
      t: i * 1000,
      sent,
      ok: e.ok[i]!,
      throttled: e.throttled[i]!,
      errors: e.errors[i]!,
      p50: e.p50[i]!,
      p99: e.p99[i]!,
    }))
  }

  /** encode returns a plain, JSON-ready copy, with the current second's histogram encoded as it stands. */
  encode(): EncodedTimeline {
    const r = this.rows
    const out: EncodedTimeline = {
      sent: [...r.sent], ok: [...r.ok], throttled: [...r.throttled], errors: [...r.errors],
      p50: [...r.p50], p99: [...r.p99], hdr: [...r.hdr],
    }
    if (this.open.totalCount > 0) {
      out.p50[this.cur] = this.open.getValueAtPercentile(50) / 1000
      out.p99[this.cur] = this.open.getValueAtPercentile(99) / 1000
      out.hdr[this.cur] = encode(this.open)
    }
    return out
  }

  /** addEncoded merges another timeline in, second by second; counters add, latencies merge as histograms. */
  addEncoded(e: EncodedTimeline): void {
    this.grow(e.sent.length - 1)
    const r = this.rows
    for (let i = 0; i < e.sent.length; i++) {
      r.sent[i]! += e.sent[i] ?? 0
      r.ok[i]! += e.ok[i] ?? 0
      r.throttled[i]! += e.throttled[i] ?? 0
      r.errors[i]! += e.errors[i] ?? 0
      const h = e.hdr[i] ?? ''
      if (h === '') continue
      if (i === this.cur) addEncoded(this.open, h)
      else if (r.hdr[i] === '') [r.hdr[i], r.p50[i], r.p99[i]] = [h, e.p50[i] ?? 0, e.p99[i] ?? 0]
      else this.mergeRow(i, h)
    }
  }

  /** destroy frees the live histogram. */
  destroy(): void {
    this.open.destroy()
  }

  /** mergeRow adds an encoded histogram into closed row i and re-derives its percentiles. */
  private mergeRow(i: number, h: string): void {
    const merged = decode(this.rows.hdr[i]!)
    try {
      addEncoded(merged, h)
      this.store(i, merged)
    } finally {
      merged.destroy()
    }
  }

  /** moveTo closes the current second into its row and reopens the histogram for second `sec`. */
  private moveTo(sec: number): void {
    if (this.open.totalCount > 0) this.store(this.cur, this.open)
    this.open.reset()
    this.cur = sec
    // A second that already holds merged latencies reopens with them, so closing it again loses nothing.
    const h = this.rows.hdr[sec]!
    if (h !== '') {
      addEncoded(this.open, h)
      this.rows.hdr[sec] = ''
    }
  }

  private store(i: number, h: Histogram): void {
    this.rows.p50[i] = h.getValueAtPercentile(50) / 1000
    this.rows.p99[i] = h.getValueAtPercentile(99) / 1000
    this.rows.hdr[i] = encode(h)
  }

  /** grow adds empty rows up to and including second `sec`. */
  private grow(sec: number): void {
    const r = this.rows
    while (r.sent.length <= sec) {
      for (const c of COLUMNS) r[c].push(0)
      r.hdr.push('')
    }
  }
}
