/**
 * HDR histograms as likebench uses them: integer microseconds from 1 µs to one hour at
 * three significant digits (0.1% resolution), WebAssembly-backed where it loads.
 *
 * Measured on the development machine (5M records over 5 histograms): WASM with 32-bit
 * buckets ≈ 20 ns per recordValue, the JS Int32 histogram ≈ 110 ns, packed variants
 * 200–800 ns. So WASM it is, with the JS Int32 histogram as the fallback when WebAssembly
 * cannot load. WASM memory is not garbage collected: every histogram built here must be
 * destroy()ed by its owner.
 *
 * Stats read percentiles from buckets (min is the 0th, max the 100th percentile), so a
 * histogram and its encode/decode round trip give identical numbers — which is what lets
 * merged results match single-process ones exactly.
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'

/** Histogram is re-exported so the rest of metrics need not import hdr-histogram-js. */
export type { Histogram }

/** HIGHEST_US is the largest value recorded: one hour in microseconds; larger values are clamped. */
export const HIGHEST_US = 3_600_000_000

/** Stats summarises a latency distribution in milliseconds (DESIGN.md section 5). */
export interface Stats {
  count: number
  min: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
  max: number
}

let wasm: boolean | undefined

/** useWasm initialises WebAssembly once and says whether it is usable. */
function useWasm(): boolean {
  if (wasm === undefined) {
    try {
      hdr.initWebAssemblySync()
      wasm = true
    } catch {
      wasm = false
    }
  }
  return wasm
}

/** histogram builds an empty latency histogram (1 µs .. 1 h, 3 digits, WASM when available). */
export function histogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    bitBucketSize: 32,
    useWebAssembly: useWasm(),
  })
}

/** micros converts a millisecond duration to the integer microseconds a histogram records, clamped to its range. */
export function micros(ms: number): number {
  const us = Math.round(ms * 1000)
  // NaN fails both comparisons and lands on 0, like a negative duration.
  return us > 0 ? (us < HIGHEST_US ? us : HIGHEST_US) : 0
}

/** encode serialises a histogram as compressed base64 (the HdrHistogram interchange format). */
export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h)
}

/** decode builds a histogram from `encode` output; the caller owns (and destroys) it. */
export function decode(b64: string): Histogram {
  return hdr.decodeFromCompressedBase64(b64, 32, useWasm())
}

/** addEncoded adds an encoded histogram into `into`; empty strings add nothing. */
export function addEncoded(into: Histogram, b64: string): void {
  if (b64 === '') return
  const h = decode(b64)
  try {
    into.add(h)
  } finally {
    h.destroy()
  }
}

/** pct reads a percentile in milliseconds. */
function pct(h: Histogram, p: number): number {
  return h.getValueAtPercentile(p) / 1000
}

/** stats summarises a microsecond histogram as Stats in milliseconds; all zeros when empty. */
export function stats(h: Histogram): Stats {
  const count = h.totalCount
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 }
  return {
    count,
    min: pct(h, 0),
    mean: h.mean / 1000,
    p50: pct(h, 50),
    p90: pct(h, 90),
    p95: pct(h, 95),
    p99: pct(h, 99),
    p999: pct(h, 99.9),
    max: pct(h, 100),
  }
}
