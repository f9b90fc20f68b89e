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

const ThresholdSchema = z.strictObject({
  metric: z.string().meta({ description: 'The key as written, e.g. latency{actor:organic}.' }),
  expr: z.string(),
  value: num.nullable().meta({ description: 'The measured value in the stat\'s base unit (ms, fraction, count, per second); null when the metric had no data (which passes).' }),
  ok: z.boolean(),
})

const share = num.nullable()

const RateLimitSchema = z.strictObject({
  key: z.enum(['user', 'ip', 'token', 'global']),
  on: z.array(z.string()).meta({ description: 'Endpoints the policy covers.' }),
  declared: z.strictObject({ limit: num, perMs: num, burst: num }),
  keys: count.meta({ description: 'Distinct keys that sent a covered request.' }),
  sent: count.meta({ description: 'Covered requests written to the target (requests that never reached a connection are not counted).' }),
  admitted: count.meta({ description: 'Of them, answered 2xx.' }),
  allowed: count.meta({ description: 'Of them, admitted by a reference token bucket of the declared policy replaying each key\'s own send times.' }),
  throttled: count.meta({ description: 'Of them, answered with a throttleStatus.' }),
  overAdmitted: count.meta({ description: 'Σ over keys of the peak of (admitted − allowed): requests let through beyond the policy.' }),
  falseThrottled: count.meta({ description: 'Throttled requests that every covering policy would have admitted (net of same-moment swaps).' }),
  leak: share.meta({ description: 'overAdmitted / sent; null without traffic.' }),
  falseThrottleRate: share.meta({ description: 'falseThrottled / allowed; null when nothing was allowed.' }),
  firstThrottleMs: StatsSchema.meta({ description: 'Per throttled key: send time of its first throttled request minus that of its first request.' }),
  estimated: z.strictObject({
    ratePerSec: num.nullable().meta({ description: 'Slope of the cumulative admissions of throttled keys, pooled: the sustained rate the target enforces.' }),
    burst: num.nullable().meta({ description: 'That line at each key\'s first request: the burst the target allows.' }),
    keys: count.meta({ description: 'Keys whose throttled phase contributed points.' }),
    samples: count.meta({ description: 'Admissions the line was fitted to.' }),
  }),
  headers: z.strictObject({
    retryAfter: z.strictObject({ throttled: count, usable: count, share: share.meta({ description: 'Share of throttled answers with a usable Retry-After.' }) }),
    rateLimitRemaining: z.strictObject({
      seen: count.meta({ description: 'Admitted answers carrying RateLimit-Remaining (or X-RateLimit-Remaining).' }),
      pairs: count.meta({ description: 'Consecutive admitted answers of one key sent less than one token\'s refill apart.' }),
      decreased: count,
      increased: count,
      decreasing: z.boolean().nullable().meta({ description: 'The remaining quota really goes down: some pairs decreased and none increased; null without pairs.' }),
    }),
  }),
  material: z.strictObject({
    slackPerKey: count.meta({ description: 'Excess one key may show without it counting: 1 + the tokens refilled while a request may be in flight (uncorrected p99).' }),
    keysOver: count.meta({ description: 'Keys whose admissions ever ran ahead of the reference.' }),
    beyondSlack: count.meta({ description: 'Σ over keys of max(0, peak excess − slackPerKey).' }),
    material: z.boolean().meta({ description: 'beyondSlack > 1% of allowed: the limit did not hold (the policy\'s finding fails).' }),
  }),
})

const PostCheckSchema = z.strictObject({
  post: count,
  before: count,
  observed: count,
  expectedMin: count.meta({ description: 'Lowest count the answers allow: before + pairs certainly liked at the end.' }),
  expectedMax: count.meta({ description: 'Highest count the answers allow: before + pairs possibly liked at the end.' }),
  overcount: count,
  undercount: count,
  pairs: count.meta({ description: '(user, post) pairs of this post the run liked or unliked.' }),
  ambiguous: count.meta({ description: 'Pairs of this post whose final state is unknown (a request that may have applied, or a like and an unlike in flight together).' }),
})

const IntegritySchema = z.strictObject({
  posts: count.meta({ description: 'Posts whose count was read before and after the run.' }),
  touched: count.meta({ description: 'Posts the run planned to like or unlike (all posts when an actor could not say, up to the read cap).' }),
  unread: count.meta({ description: 'Touched posts whose count could not be read (throttled, failed or not a number) before or after: not checked.' }),
  pairs: count.meta({ description: '(user, post) pairs the run liked or unliked on the checked posts.' }),
  ambiguous: count.meta({ description: 'Of them, pairs whose final state is unknown.' }),
  expectedMin: count,
  expectedMax: count,
  observed: count.meta({ description: 'Σ of the counts read after the run, over the checked posts.' }),
  overcount: count.meta({ description: 'Σ over posts of how far the count lies above its expected range.' }),
  undercount: count.meta({ description: 'Σ over posts of how far the count lies below its expected range.' }),
  perPost: z.array(PostCheckSchema).meta({ description: 'Checked posts, worst first (furthest outside their range, then most pairs), at most 20.' }),
  notes: z.array(z.string()),
})

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
    ratelimit: z.record(z.string(), RateLimitSchema).meta({ description: 'The rate-limit oracle, by policy name (docs/verdicts.md).' }),
    integrity: IntegritySchema.nullable().meta({ description: 'The integrity read-back (docs/verdicts.md); null when integrity.read is off.' }),
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
/** RateLimitResult is the oracle's verdict on one policy. */
export type RateLimitResult = z.infer<typeof RateLimitSchema>
/** IntegrityResult is the integrity read-back. */
export type IntegrityResult = z.infer<typeof IntegritySchema>
/** PostCheck is one post's read-back. */
export type PostCheck = z.infer<typeof PostCheckSchema>
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
