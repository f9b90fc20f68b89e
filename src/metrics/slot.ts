/**
 * One metrics slot (an actor × endpoint pair): three latency histograms and fixed-size
 * counters, allocated once at plan time. Also the count definitions every summary shares.
 */
import { ERROR_INDEX, ERROR_KINDS, type ErrorKind } from '../transport/classify.js'
import { addEncoded, encode, histogram, type Stats } from './hdr.js'

/** STATUS_SLOTS covers status codes 0..599; slot 0 collects anything outside 100..599. */
export const STATUS_SLOTS = 600
const OTHER_STATUS = 'other'

/** Counts are the counters of a slot, an actor or a whole run. */
export interface Counts {
  /** Requests sent and finished, however they finished. */
  requests: number
  /** Requests that got a complete response. */
  responses: number
  /** Transport errors (other than likebench's own aborts) plus 5xx not counted as throttled. */
  errors: number
  /** Responses whose status is in the plan's throttleStatus. */
  throttled: number
  /** Other 4xx responses. */
  rejected: number
  /** Arrivals not sent because the in-flight cap was reached. */
  dropped: number
  /** Responses by status code ("other" for codes outside 100..599). */
  status: Record<string, number>
  /** Failed requests by kind, aborts included. */
  errorKinds: Partial<Record<ErrorKind, number>>
}

/** LatencySummary holds the three latency views of DESIGN.md section 5 as Stats. */
export interface LatencySummary {
  corrected: Stats
  uncorrected: Stats
  sendLag: Stats
}

/** EncodedSlot is a slot as plain JSON: sparse counters and base64 histograms. */
export interface EncodedSlot {
  requests: number
  status: Record<string, number>
  errors: Partial<Record<ErrorKind, number>>
  corrected: string
  uncorrected: string
  sendLag: string
}

/** MetricSlot holds one actor × endpoint's histograms and counters. */
export class MetricSlot {
  requests = 0
  readonly status = new Float64Array(STATUS_SLOTS)
  readonly errors = new Float64Array(ERROR_KINDS.length)
  readonly corrected = histogram()
  readonly uncorrected = histogram()
  readonly sendLag = histogram()

  /** encode returns the slot's contents as JSON-ready data. */
  encode(): EncodedSlot {
    const status: Record<string, number> = {}
    this.status.forEach((n, code) => {
      if (n > 0) status[code === 0 ? OTHER_STATUS : String(code)] = n
    })
    const errors: Partial<Record<ErrorKind, number>> = {}
    ERROR_KINDS.forEach((k, i) => {
      if (this.errors[i]! > 0) errors[k] = this.errors[i]!
    })
    return {
      requests: this.requests,
      status,
      errors,
      corrected: encode(this.corrected),
      uncorrected: encode(this.uncorrected),
      sendLag: encode(this.sendLag),
    }
  }

  /** addEncoded adds an encoded slot's counters and histograms to this one. */
  addEncoded(e: EncodedSlot): void {
    this.requests += e.requests
    for (const [code, n] of Object.entries(e.status)) {
      const i = code === OTHER_STATUS ? 0 : Number(code)
      this.status[i >= 0 && i < STATUS_SLOTS ? i : 0]! += n
    }
    for (const [k, n] of Object.entries(e.errors)) this.errors[ERROR_INDEX[k as ErrorKind] ?? ERROR_INDEX.other]! += n
    addEncoded(this.corrected, e.corrected)
    addEncoded(this.uncorrected, e.uncorrected)
    addEncoded(this.sendLag, e.sendLag)
  }

  /** destroy frees the slot's WASM histograms. */
  destroy(): void {
    this.corrected.destroy()
    this.uncorrected.destroy()
    this.sendLag.destroy()
  }
}

/** summarise adds up slots into Counts, classing statuses with the throttle table (1 = throttled). */
export function summarise(slots: readonly MetricSlot[], throttle: Uint8Array, dropped: number): Counts {
  const status = new Float64Array(STATUS_SLOTS)
  const errs = new Float64Array(ERROR_KINDS.length)
  let requests = 0
  for (const s of slots) {
    requests += s.requests
    for (let i = 0; i < STATUS_SLOTS; i++) status[i]! += s.status[i]!
    for (let i = 0; i < errs.length; i++) errs[i]! += s.errors[i]!
  }
  const c: Counts = { requests, responses: 0, errors: 0, throttled: 0, rejected: 0, dropped, status: {}, errorKinds: {} }
  status.forEach((n, code) => {
    if (n === 0) return
    c.responses += n
    c.status[code === 0 ? OTHER_STATUS : String(code)] = n
    if (throttle[code] === 1) c.throttled += n
    else if (code >= 500) c.errors += n
    else if (code >= 400) c.rejected += n
  })
  ERROR_KINDS.forEach((k, i) => {
    if (errs[i] === 0) return
    c.errorKinds[k] = errs[i]!
    if (k !== 'aborted') c.errors += errs[i]!
  })
  return c
}
