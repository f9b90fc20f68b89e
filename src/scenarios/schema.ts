import * as z from 'zod'
import { ACTOR_KINDS, DUPLICATE_MODES, MALFORMED_VARIANTS, POLICY_KEYS, SPOOF_HEADERS, UNAUTH_VARIANTS } from './types.js'
import { parseDuration, parseRate, parseRatio, type Parsed } from '../units.js'
import { UNIT_PARSERS } from './issues.js'

/**
 * The scenario file's schema (DESIGN.md section 4), written once in zod. It validates the
 * shape and converts units; the loader turns its issues into `file:line:col` problems, the
 * compiler adds the cross-field checks, and scripts/gen-schema.js derives the published
 * JSON Schema from it, so editors and the loader can never disagree.
 */

/** unit builds a string schema that converts with `parse` and reports its message and hint on failure. */
function unit<T>(parse: (text: unknown) => Parsed<T>, meta: { description: string; pattern: string; examples: string[] }) {
  const text = z.string()
  UNIT_PARSERS.set(text, parse)
  return text
    .transform((text, ctx): T => {
      const r = parse(text)
      if (r.ok) return r.value
      ctx.addIssue({ code: 'custom', message: r.message, params: { hint: r.hint } })
      return z.NEVER
    })
    .meta(meta)
}

/** Duration is `500ms`, `10s`, `2m` or `1h`, converted to milliseconds. */
export const Duration = unit(parseDuration, {
  description: 'A duration: a number and a unit (us, ms, s, m, h), e.g. 500ms, 10s, 2m.',
  pattern: '^\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)$',
  examples: ['500ms', '10s', '2m'],
})

/** Rate is `300/s`, `20/min` or `10/10s`, converted to requests per second. */
export const Rate = unit(parseRate, {
  description: 'A rate: a count per time, e.g. 300/s, 20/min, 10/10s.',
  pattern: '^\\d+(\\.\\d+)?\\s*/\\s*(\\d+(\\.\\d+)?)?\\s*(us|ms|s|sec|m|min|h|hour)$',
  examples: ['300/s', '20/min'],
})

/** Ratio is `1%` or a fraction such as 0.01, converted to a fraction. */
export const Ratio = z
  .union([z.number(), z.string()])
  .transform((v, ctx): number => {
    const r = parseRatio(v)
    if (r.ok) return r.value
    ctx.addIssue({ code: 'custom', message: r.message, params: { hint: r.hint } })
    return z.NEVER
  })
  .meta({ description: 'A ratio: a percentage such as 10% or a fraction between 0 and 1.', examples: ['10%', 0.1] })

const RAMP_RE = /^(\d+(?:\.\d+)?)\s*\.\.\s*(\d+(?:\.\d+)?)\s*(\/.*)$/

/** parseRamp reads `0..300/s` into its two end rates in requests per second. */
export function parseRamp(text: unknown): Parsed<{ from: number; to: number }> {
  if (typeof text !== 'string') return { ok: false, message: 'expected a ramp such as 0..300/s' }
  const t = text.trim()
  const m = RAMP_RE.exec(t)
  if (!m) {
    const dash = /^(\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)\s*(\/.*)$/.exec(t)
    if (dash) {
      return { ok: false, message: `"${text}" is not a ramp`, hint: `write ${dash[1]}..${dash[2]}${dash[3]} (two dots between the rates)` }
    }
    return { ok: false, message: `"${text}" is not a ramp`, hint: 'write the start and end rates with two dots: 0..300/s' }
  }
  const from = parseRate(`${m[1]}${m[3]}`)
  const to = parseRate(`${m[2]}${m[3]}`)
  if (!from.ok) return from
  if (!to.ok) return to
  return { ok: true, value: { from: from.value, to: to.value } }
}

const Ramp = unit(parseRamp, {
  description: 'A ramp from one rate to another, e.g. 0..300/s.',
  pattern: '^\\d+(\\.\\d+)?\\s*\\.\\.\\s*\\d+(\\.\\d+)?\\s*/',
  examples: ['0..300/s'],
})

const HoldStage = z.strictObject({ hold: Rate, for: Duration }).meta({ description: 'Send at a constant rate for a while.' })
const RampStage = z.strictObject({ ramp: Ramp, over: Duration }).meta({ description: 'Change the rate linearly over a while.' })
const SpikeStage = z.strictObject({ spike: Rate, for: Duration }).meta({ description: 'A hold that is reported as a spike.' })
const PauseStage = z.strictObject({ pause: Duration }).meta({ description: 'Send nothing for a while.' })

/** StageInput is one stage of an open-model schedule, as written. */
export const StageInput = z.union([HoldStage, RampStage, SpikeStage, PauseStage])

const PositiveInt = z.number().int().positive()
const PostIds = z.array(PositiveInt).min(1).meta({ description: 'Post ids (1..posts.count).' })

const common = {
  description: z.string().optional(),
  rate: z.union([StageInput, z.array(StageInput).min(1)]).optional().meta({
    description: 'Open model: a stage or a list of stages, e.g. { hold: 300/s, for: 30s } or [ { ramp: 0..300/s, over: 10s }, { hold: 300/s, for: 50s } ]',
  }),
  concurrency: PositiveInt.optional().meta({ description: 'Closed model: this many virtual users, each sending its next request when the last answered.' }),
  for: Duration.optional().meta({ description: 'With concurrency: how long the closed model runs.' }),
  start: Duration.optional().meta({ description: 'Offset of the actor from the start of the run.' }),
  arrivals: z.enum(['uniform', 'poisson']).optional().meta({ description: 'Evenly spaced arrivals (default) or Poisson gaps from the seed.' }),
  maxInFlight: PositiveInt.optional().meta({ description: 'Cap on requests in flight; arrivals over it are counted as dropped (default 10000).' }),
}

const SourceIpsInput = z.strictObject({
  count: PositiveInt,
  via: z.enum(['source', 'x-forwarded-for', 'x-real-ip', 'forwarded']).optional(),
})

/**
 * modelCheck enforces that an actor runs exactly one model: `rate` (open), or `concurrency`
 * with `for` (closed). It lives in the schema, not the compiler, so it is reported together
 * with the file's other shape problems.
 */
function modelCheck(a: { rate?: unknown; concurrency?: number; for?: number; arrivals?: string }, ctx: z.core.$RefinementCtx): void {
  const issue = (path: string[], message: string, hint?: string, atKey = false) =>
    ctx.addIssue({ code: 'custom', path, message, params: { hint, atKey } })
  if (a.rate !== undefined && a.concurrency !== undefined) {
    issue(['concurrency'], 'an actor has either rate (open model) or concurrency (closed model), not both', 'keep rate: for an honest open-model schedule', true)
  } else if (a.concurrency !== undefined) {
    if (a.for === undefined) issue(['for'], 'for is required with concurrency', 'e.g. concurrency: 20, for: 30s')
    if (a.arrivals !== undefined) issue(['arrivals'], 'arrivals only applies to rate (open model)', undefined, true)
  } else if (a.rate === undefined) {
    issue([], 'an actor needs rate: (open model) or concurrency: with for: (closed model)', 'e.g. rate: { hold: 50/s, for: 10s }')
  } else if (a.for !== undefined) {
    issue(['for'], 'for applies to concurrency (closed model)', 'in an open model each stage has its own for:, e.g. rate: { hold: 50/s, for: 10s }', true)
  }
}

const ActorInput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('organic'),
    ...common,
    unlikeRatio: Ratio.optional().meta({ description: 'Share of likes that are later unliked (default 10%).' }),
    readRatio: Ratio.optional().meta({ description: 'Share of requests that read a count instead (default 0).' }),
  }).superRefine(modelCheck),
  z.strictObject({
    kind: z.literal('flood'),
    ...common,
    accounts: PositiveInt.optional(),
    ips: SourceIpsInput.optional(),
    posts: PostIds.optional(),
  }).superRefine(modelCheck),
  z.strictObject({
    kind: z.literal('duplicate'),
    ...common,
    copies: z.number().int().min(2).optional(),
    mode: z.enum(DUPLICATE_MODES).optional(),
    posts: PostIds.optional(),
  }).superRefine(modelCheck),
  z.strictObject({ kind: z.literal('toggle'), ...common, users: PositiveInt.optional(), posts: PostIds.optional() }).superRefine(modelCheck),
  z.strictObject({
    kind: z.literal('spoof'),
    ...common,
    headers: z.array(z.enum(SPOOF_HEADERS)).min(1).optional(),
    ips: PositiveInt.optional(),
    accounts: PositiveInt.optional(),
    posts: PostIds.optional(),
  }).superRefine(modelCheck),
  z.strictObject({ kind: z.literal('unauthenticated'), ...common, variants: z.array(z.enum(UNAUTH_VARIANTS)).min(1).optional() }).superRefine(modelCheck),
  z.strictObject({ kind: z.literal('malformed'), ...common, variants: z.array(z.enum(MALFORMED_VARIANTS)).min(1).optional() }).superRefine(modelCheck),
])

const Method = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
const Path = z.string().regex(/^\//, { message: 'a path starts with /' })
const Endpoint = z.strictObject({ method: Method.optional(), path: Path.optional(), body: z.string().optional() })

const ApiInput = z.strictObject({
  like: Endpoint.optional(),
  unlike: Endpoint.optional(),
  read: z.strictObject({ ...Endpoint.shape, count: z.string().min(1).optional() }).optional(),
  login: z.strictObject({ ...Endpoint.shape, path: Path, token: z.string().min(1).optional() }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
})

const PICK_RE = /^(uniform|zipf\(\s*\d+(\.\d+)?\s*\)|hot\(\s*\d+\s*,\s*\d+(\.\d+)?%\s*\))$/

const TargetInput = z.strictObject({
  url: z.string().min(1).optional().meta({ description: '`builtin` for the reference API, or an http(s) URL.' }),
  connections: PositiveInt.optional(),
  timeout: Duration.optional(),
  warmup: Duration.optional().meta({ description: 'Unrecorded reads over every connection before the schedule starts, to open connections and warm up (default 1s; 0s: none).' }),
  allow: z.array(z.string().min(1)).optional().meta({ description: 'Non-loopback hosts this scenario may target (each also needs --allow-host).' }),
  localAddresses: z.array(z.string().min(1)).optional(),
  builtin: z
    .strictObject({
      flaws: z.array(z.string()).optional(),
      rateLimits: z.array(z.string()).optional(),
      latency: z.string().optional(),
      posts: PositiveInt.optional(),
      secret: z.string().min(1).optional(),
    })
    .optional(),
})

const ThresholdItem = z.union([
  z.string(),
  z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: Duration.optional() }),
])

/** ScenarioInput is the whole scenario file as written (after `${ENV}` interpolation). */
export const ScenarioInput = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    target: z.union([z.string().min(1), TargetInput]).optional(),
    seed: z.number().int().nonnegative().optional(),
    api: ApiInput.optional(),
    users: z
      .union([
        z.strictObject({
          count: PositiveInt.max(100_000_000),
          secret: z.string().min(1).optional().meta({ description: 'Key the generated users\' tokens are signed with (default: the built-in target\'s); e.g. the --secret of a likebench serve you started yourself.' }),
        }),
        z.strictObject({ file: z.string().min(1) }),
      ])
      .optional(),
    posts: z
      .strictObject({
        count: PositiveInt.max(1_000_000).optional().meta({ description: 'Posts have ids 1..count (at most 1,000,000).' }),
        pick: z
          .string()
          .regex(PICK_RE, { message: 'expected uniform, zipf(s) or hot(size, share%)' })
          .optional()
          .meta({ examples: ['uniform', 'zipf(1.1)', 'hot(10, 90%)'] }),
      })
      .optional(),
    actors: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'actor names use letters, digits, _ . -' }), ActorInput).meta({
      description: 'The traffic, one named actor each, e.g. actors: { organic: { kind: organic, rate: { hold: 50/s, for: 10s } } }',
    }),
    policy: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
          key: z.enum(POLICY_KEYS),
          limit: PositiveInt,
          per: Duration,
          burst: PositiveInt.optional(),
          on: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
        }),
      )
      .optional(),
    throttleStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    integrity: z.strictObject({ read: z.enum(['after', 'off']).optional(), settle: Duration.optional() }).optional(),
    thresholds: z.record(z.string(), z.array(ThresholdItem).min(1)).optional(),
  })
  .meta({ title: 'likebench scenario', description: 'A likebench scenario file (DESIGN.md section 4).' })

/** ScenarioInputType is a scenario after shape validation and unit conversion. */
export type ScenarioInputType = z.output<typeof ScenarioInput>
/** ActorInputType is one actor after shape validation. */
export type ActorInputType = z.output<typeof ActorInput>
/** StageInputType is one stage after shape validation. */
export type StageInputType = z.output<typeof StageInput>

/** scenarioJsonSchema derives the published JSON Schema from ScenarioInput (the input side, as a user writes it). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioInput, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return schema
}
