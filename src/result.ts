/**
 * The result document of a run (DESIGN.md section 5): one JSON object, versioned, from which
 * every report is rendered. Times are milliseconds; latencies are floats. Reporters import
 * only these types.
 */

/** RESULT_SCHEMA_VERSION is the `schema` field of every result; bump it on an incompatible change. */
export const RESULT_SCHEMA_VERSION = 1

import type { Stats } from './metrics/hdr.js'
import type { Counts as MetricCounts } from './metrics/slot.js'
import type { ErrorKind } from './transport/classify.js'

export type { ErrorKind, Stats }

/** Counts are the request counters kept for the whole run and for each actor, with the achieved rate. */
export interface Counts extends MetricCounts {
  /** Requests per second over the actor's (or the run's) active time. */
  rps: number
}

/** LatencySection holds the three distributions likebench measures, with the corrected one as an HDR histogram. */
export interface LatencySection {
  /** Response fully read minus the intended send time: what a user of the target waited. */
  corrected: Stats
  /** Response fully read minus the actual send time: hides a stalled server (shown for contrast). */
  uncorrected: Stats
  /** Actual minus intended send time: how far behind the generator was. */
  sendLag: Stats
  /** The corrected histogram as compressed base64 HdrHistogram (whole run only; mergeable exactly). */
  hdr?: string
}

/** EndpointResult is one endpoint's figures within an actor. */
export interface EndpointResult extends Counts {
  latency: LatencySection
}

/** ActorResult is one actor's figures. */
export interface ActorResult extends Counts {
  kind: string
  model: 'open' | 'closed'
  /** Arrivals the schedule planned (open model). */
  planned: number | null
  latency: LatencySection
  endpoints: Record<string, EndpointResult>
}

/** TimelineRow is one second of the run. */
export interface TimelineRow {
  /** Seconds since the run's start. */
  t: number
  sent: number
  ok: number
  throttled: number
  errors: number
  /** Corrected latency percentiles of the requests that ended in this second (null when none did). */
  p50: number | null
  p99: number | null
}

/** GeneratorHealth says whether the load generator kept up, so its limits are never reported as the target's. */
export interface GeneratorHealth {
  cpuPercent: number
  eventLoopLagMs: Stats
  sendLagMs: Stats
  saturated: boolean
  /** Why the run counts as saturated, in words (empty when it is not). */
  reasons: string[]
  workers: number
}

/** Finding is one defense verdict: did the target answer an actor's traffic as a defended API should. */
export interface Finding {
  actor: string
  kind: string
  ok: boolean
  message: string
  evidence: Record<string, unknown>
}

/** ThresholdResult is one evaluated threshold. */
export interface ThresholdResult {
  metric: string
  expr: string
  value: number | null
  ok: boolean
}

/** RunResult is the whole result document. */
export interface RunResult {
  likebench: string
  schema: typeof RESULT_SCHEMA_VERSION
  scenario: { name: string; file: string; seed: number }
  target: { url: string; builtin: boolean }
  runId: string
  startedAt: string
  durationMs: number
  verdict: 'passed' | 'failed' | 'aborted'
  /** Why the verdict is what it is, in one line. */
  reason: string
  totals: Counts
  latency: LatencySection
  actors: Record<string, ActorResult>
  ratelimit: Record<string, unknown>
  integrity: Record<string, unknown> | null
  findings: Finding[]
  thresholds: ThresholdResult[]
  timeline: TimelineRow[]
  generator: GeneratorHealth
}
