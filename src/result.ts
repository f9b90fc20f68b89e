import * as z from 'zod'
import { ERROR_KINDS, type ErrorKind } from './transport/classify.js'

/**
 * The result document of a run (DESIGN.md section 5): one JSON object, versioned, from which
 * every report is rendered. Times are milliseconds; latencies are floats. It is defined once,
 * in zod: the TypeScript types below are inferred from it, and scripts/gen-schema.js derives
 * the published schema/result.schema.json from it. Reporters import only the types.
 */

/** RESULT_SCHEMA_VERSION is the `schema` field of every result; bump it on an incompatible change. */
export const RESULT_SCHEMA_VERSION = 1

const num = z.number()
const count = z.number().int().nonnegative()

/** StatsSchema summarises a distribution in milliseconds. */
export const StatsSchema = z.strictObject({ count, min: num, mean: num, p50: num, p90: num, p95: num, p99: num, p999: num, max: num })

const CountsShape = {
  requests: count.meta({ description: 'Requests sent and finished, however they finished.' }),
  responses: count.meta({ description: 'Requests answered with a complete response.' }),
  errors: count.meta({ description: 'Transport failures (other than likebench\'s own aborts) plus 5xx not counted as throttled.' }),
  throttled: count.meta({ description: 'Responses with a throttle status (throttleStatus, 429 by default).' }),
  rejected: count.meta({ description: 'Other 4xx responses.' }),
  dropped: count.meta({ description: 'Arrivals not sent because the in-flight cap was reached.' }),
  rps: num.meta({ description: 'Requests per second over the active time.' }),
  status: z.record(z.string(), count),
  errorKinds: z.partialRecord(z.enum(ERROR_KINDS), count),
}

const LatencySchema = z.strictObject({
  corrected: StatsSchema.meta({ description: 'Response fully read minus the intended send time.' }),
  uncorrected: StatsSchema.meta({ description: 'Response fully read minus the actual send time.' }),
  sendLag: StatsSchema.meta({ description: 'Actual minus intended send time.' }),
  hdr: z.string().optional().meta({ description: 'Corrected latency as a compressed base64 HdrHistogram (µs); mergeable exactly.' }),
})

const EndpointSchema = z.strictObject({ ...CountsShape, latency: LatencySchema })

const ActorSchema = z.strictObject({
  ...CountsShape,
  kind: z.string(),
  model: z.enum(['open', 'closed']),
  planned: count.nullable().meta({ description: 'Arrivals the schedule planned (open model), null for a closed model.' }),
  latency: LatencySchema,
  endpoints: z.record(z.string(), EndpointSchema),
})

const FindingSchema = z.strictObject({
  actor: z.string(),
  kind: z.string(),
  ok: z.boolean(),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
})

const ThresholdSchema = z.strictObject({ metric: z.string(), expr: z.string(), value: num.nullable(), ok: z.boolean() })

const TimelineSchema = z.strictObject({
  t: num.meta({ description: 'Start of the second, in ms since the run started.' }),
  sent: count, ok: count, throttled: count, errors: count,
  p50: num.nullable(), p99: num.nullable(),
})

const GeneratorSchema = z.strictObject({
  cpuPercent: num,
  eventLoopLagMs: StatsSchema,
  dispatchLagMs: StatsSchema.meta({ description: 'How late the dispatcher handed requests to the transport: the generator\'s own lateness.' }),
  sendLagMs: StatsSchema.meta({ description: 'Actual minus intended send time: dispatch lag plus any wait for a free connection.' }),
  saturated: z.boolean().meta({ description: 'The generator fell behind its own schedule: the figures describe it, not the target.' }),
  reasons: z.array(z.string()).meta({ description: 'Why the run counts as saturated.' }),
  notes: z.array(z.string()).meta({ description: 'Observations about the run that are not the generator\'s fault.' }),
  workers: count,
})

/** RunResultSchema is the whole result document. */
export const RunResultSchema = z
  .strictObject({
    likebench: z.string(),
    schema: z.literal(RESULT_SCHEMA_VERSION),
    scenario: z.strictObject({ name: z.string(), file: z.string(), seed: count }),
    target: z.strictObject({ url: z.string(), builtin: z.boolean() }),
    runId: z.string(),
    startedAt: z.string(),
    durationMs: num,
    verdict: z.enum(['passed', 'failed', 'aborted']),
    reason: z.string(),
    totals: z.strictObject(CountsShape),
    latency: LatencySchema,
    actors: z.record(z.string(), ActorSchema),
    ratelimit: z.record(z.string(), z.unknown()),
    integrity: z.record(z.string(), z.unknown()).nullable(),
    findings: z.array(FindingSchema),
    thresholds: z.array(ThresholdSchema),
    timeline: z.array(TimelineSchema),
    generator: GeneratorSchema,
  })
  .meta({ title: 'likebench result', description: 'The result of one likebench run (DESIGN.md section 5).' })

/** Stats summarises a distribution in milliseconds. */
export type Stats = z.infer<typeof StatsSchema>
export type { ErrorKind }
/** Counts are the request counters of the run, an actor or an endpoint. */
export type Counts = z.infer<z.ZodObject<typeof CountsShape>>
/** LatencySection holds the three latency distributions. */
export type LatencySection = z.infer<typeof LatencySchema>
/** ActorResult is one actor's figures. */
export type ActorResult = z.infer<typeof ActorSchema>
/** Finding is one defense verdict. */
export type Finding = z.infer<typeof FindingSchema>
/** ThresholdResult is one evaluated threshold. */
export type ThresholdResult = z.infer<typeof ThresholdSchema>
/** TimelineRow is one second of the run. */
export type TimelineRow = z.infer<typeof TimelineSchema>
/** GeneratorHealth says whether the load generator kept up. */
export type GeneratorHealth = z.infer<typeof GeneratorSchema>
/** RunResult is the whole result document. */
export type RunResult = z.infer<typeof RunResultSchema>

/** resultJsonSchema derives the published JSON Schema of result files. */
export function resultJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RunResultSchema, { io: 'output' }) as Record<string, unknown>
}
