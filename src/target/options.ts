/**
 * Options of the built-in reference like-API: flaws, rate limits, modelled latency. The
 * parsers return `Parsed<T>` (see units.ts) so the scenario loader can reuse them to check
 * `target.builtin`; `resolveTargetConfig` is for callers that want one error to throw.
 *
 *   flaw       := no-dedupe | racy-dedupe | trust-forwarded | fixed-window | no-rate-limit
 *               | no-auth | crash-on-bad-id | "stall:" duration "/" duration
 *   rate-limit := key "=" integer "/" [number] unit ["," "burst=" integer]     key := user | ip
 *   latency    := duration [("±" | "+-") duration]
 */
import { randomBytes } from 'node:crypto'
import { LikebenchError } from '../errors.js'
import { suggest } from '../suggest.js'
import { parseDuration, parseRate, type Parsed } from '../units.js'

/** FLAW_DOCS describes each flaw in one line; its keys are the flaw names (`stall` takes `:EVERY/FOR`). */
export const FLAW_DOCS = {
  'no-dedupe': 'every like counts, even a repeat by the same user',
  'racy-dedupe': 'check, await the modelled latency, then insert: concurrent duplicates all count',
  'trust-forwarded': 'per-IP key from X-Forwarded-For (leftmost), X-Real-IP or Forwarded for=',
  'fixed-window': 'limiters count per fixed window aligned to its edges: a double burst fits across an edge',
  'no-rate-limit': 'no per-user or per-IP limit at all',
  'no-auth': 'any token (or none) is accepted; the user is read from the token unchecked',
  'crash-on-bad-id': 'a malformed post id answers 500 instead of 400',
  stall: 'every EVERY the whole server pauses for FOR, like a GC (e.g. stall:5s/500ms)',
} as const

/** FLAW_NAMES lists the flaw names, as `--flaw` and `target.builtin.flaws` accept them. */
export const FLAW_NAMES = Object.keys(FLAW_DOCS) as FlawName[]

/** FlawName is the name of one flaw. */
export type FlawName = keyof typeof FLAW_DOCS

/** Flaw is one parsed flaw; only `stall` carries parameters. */
export type Flaw = { name: Exclude<FlawName, 'stall'> } | { name: 'stall'; everyMs: number; forMs: number }

/** Flaws is the set of flaws a server runs with: one switch per behaviour. */
export interface Flaws {
  noDedupe: boolean
  racyDedupe: boolean
  trustForwarded: boolean
  fixedWindow: boolean
  noRateLimit: boolean
  noAuth: boolean
  crashOnBadId: boolean
  stall?: { everyMs: number; forMs: number }
}

/** RateLimitKey is what a built-in limiter keys on. */
export type RateLimitKey = 'user' | 'ip'

/** RateLimitSpec is one limiter: `limit` requests per `perMs`, with a bucket of `burst`. */
export interface RateLimitSpec {
  key: RateLimitKey
  limit: number
  perMs: number
  burst: number
}

/** LatencySpec is the modelled database round trip: uniform in mean ± jitter. */
export interface LatencySpec {
  meanMs: number
  jitterMs: number
}

/** DEFAULT_RATE_LIMITS are the limits of a server started without `--rate-limit` (see docs/target.md). */
export const DEFAULT_RATE_LIMITS: Record<RateLimitKey, RateLimitSpec> = {
  // One user may like 5 posts at once, then one per second: stops a spammer, not a person.
  user: { key: 'user', limit: 10, perMs: 10_000, burst: 5 },
  // Everything likebench sends comes from 127.0.0.1, so the IP limit must let hundreds of likes/s through.
  ip: { key: 'ip', limit: 1000, perMs: 1000, burst: 1000 },
}

/** DEFAULT_POSTS is how many posts (ids 1..N) a server has unless told. */
export const DEFAULT_POSTS = 10_000
/** MAX_POSTS bounds `--posts` so the count table stays small. */
export const MAX_POSTS = 1_000_000

/** parseFlaw reads one flaw such as `racy-dedupe` or `stall:5s/500ms`. */
export function parseFlaw(text: unknown): Parsed<Flaw> {
  if (typeof text !== 'string') return { ok: false, message: 'a flaw is a name such as racy-dedupe' }
  const t = text.trim()
  if (t === 'stall' || t.startsWith('stall:')) return parseStall(t)
  if ((FLAW_NAMES as string[]).includes(t)) return { ok: true, value: { name: t as Exclude<FlawName, 'stall'> } }
  const near = suggest(t, [...FLAW_NAMES, 'stall:5s/500ms'])
  return {
    ok: false,
    message: `unknown flaw "${t}"${near ? ` (did you mean ${near}?)` : ''}`,
    hint: `valid flaws: ${FLAW_NAMES.filter((n) => n !== 'stall').join(', ')}, stall:EVERY/FOR`,
  }
}

function parseStall(t: string): Parsed<Flaw> {
  const hint = 'write stall:EVERY/FOR, e.g. stall:5s/500ms (pause 500ms every 5s)'
  const m = /^stall:([^/]+)\/(.+)$/.exec(t)
  if (!m) return { ok: false, message: `"${t}" needs a period and a pause length`, hint }
  const every = parseDuration(m[1])
  const pause = parseDuration(m[2])
  if (!every.ok) return { ok: false, message: `stall period: ${every.message}`, hint }
  if (!pause.ok) return { ok: false, message: `stall length: ${pause.message}`, hint }
  if (pause.value <= 0 || every.value <= pause.value) {
    return { ok: false, message: `"${t}": the pause must be longer than 0 and shorter than the period`, hint }
  }
  return { ok: true, value: { name: 'stall', everyMs: every.value, forMs: pause.value } }
}

/** parseFlaws reads a list of flaws into a Flaws set, rejecting pairs that contradict each other. */
export function parseFlaws(list: readonly unknown[]): Parsed<Flaws> {
  const f: Flaws = {
    noDedupe: false, racyDedupe: false, trustForwarded: false, fixedWindow: false,
    noRateLimit: false, noAuth: false, crashOnBadId: false,
  }
  for (const item of list) {
    const p = parseFlaw(item)
    if (!p.ok) return p
    if (p.value.name === 'stall') f.stall = { everyMs: p.value.everyMs, forMs: p.value.forMs }
    else f[camel(p.value.name)] = true
  }
  if (f.noDedupe && f.racyDedupe) {
    return { ok: false, message: 'no-dedupe and racy-dedupe both replace the dedupe', hint: 'pick one of them' }
  }
  if (f.noRateLimit && f.fixedWindow) {
    return { ok: false, message: 'fixed-window changes the rate limiter that no-rate-limit removes', hint: 'pick one of them' }
  }
  return { ok: true, value: f }
}

function camel(name: Exclude<FlawName, 'stall'>): Exclude<keyof Flaws, 'stall'> {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as Exclude<keyof Flaws, 'stall'>
}

/** parseRateLimitSpec reads `user=10/10s,burst=5` or `ip=100/1s` (burst defaults to the limit). */
export function parseRateLimitSpec(text: unknown): Parsed<RateLimitSpec> {
  const hint = 'write KEY=COUNT/PERIOD[,burst=N] with KEY user or ip, e.g. user=10/10s,burst=5 or ip=100/1s'
  if (typeof text !== 'string') return { ok: false, message: 'a rate limit is text such as user=10/10s,burst=5', hint }
  const [head, ...extras] = text.split(',')
  const m = /^\s*([a-z]+)\s*=\s*(.+?)\s*$/.exec(head!)
  if (!m) return { ok: false, message: `"${text}" is not a rate limit`, hint }
  const [, key, rateText] = m
  if (key !== 'user' && key !== 'ip') return { ok: false, message: `unknown rate-limit key "${key}"`, hint }
  const limit = /^(\d+)\s*\//.exec(rateText!)
  const rate = parseRate(rateText)
  if (!limit || !rate.ok) return { ok: false, message: `"${rateText}" is not COUNT/PERIOD`, hint }
  const count = Number(limit[1])
  if (count < 1 || rate.value <= 0) return { ok: false, message: `"${rateText}" must allow at least 1 request`, hint }
  // parseRate gives requests per second; the period follows from the count.
  const perMs = Math.round(((count * 1000) / rate.value) * 1000) / 1000
  let burst = count
  for (const extra of extras) {
    const b = /^\s*burst\s*=\s*(.*?)\s*$/.exec(extra)
    if (!b) return { ok: false, message: `unknown setting "${extra.trim()}" in "${text}"`, hint }
    burst = Number(b[1])
    if (!Number.isInteger(burst) || burst < 1) {
      return { ok: false, message: `burst must be a whole number ≥ 1 (got "${b[1]}")`, hint }
    }
  }
  return { ok: true, value: { key, limit: count, perMs, burst } }
}

/** parseLatencySpec reads `2ms±1ms`, `2ms+-1ms` or `2ms` into a mean and a jitter. */
export function parseLatencySpec(text: unknown): Parsed<LatencySpec> {
  const hint = 'write MEAN or MEAN±JITTER, e.g. 2ms, 2ms±1ms or 2ms+-1ms'
  if (typeof text !== 'string') return { ok: false, message: 'a latency is text such as 2ms±1ms', hint }
  const [meanText, jitterText, extra] = text.split(/±|\+-/)
  if (extra !== undefined) return { ok: false, message: `"${text}" is not a latency`, hint }
  const mean = parseDuration(meanText)
  if (!mean.ok) return { ok: false, message: `latency: ${mean.message}`, hint }
  const jitter = jitterText === undefined ? { ok: true as const, value: 0 } : parseDuration(jitterText)
  if (!jitter.ok) return { ok: false, message: `latency jitter: ${jitter.message}`, hint }
  if (jitter.value > mean.value) {
    return { ok: false, message: `"${text}": the jitter is larger than the mean`, hint: 'a round trip cannot take less than 0ms' }
  }
  return { ok: true, value: { meanMs: mean.value, jitterMs: jitter.value } }
}

/** RawTargetOptions are the built-in target's settings as a user writes them. */
export interface RawTargetOptions {
  flaws?: string[]
  rateLimits?: string[]
  latency?: string
  posts?: number
  secret?: string
  debugArrivals?: boolean
}

/** TargetConfig is a checked configuration of the reference like-API. */
export interface TargetConfig {
  posts: number
  secret: string
  flaws: Flaws
  /** A limiter per key; empty when the `no-rate-limit` flaw is on. */
  rateLimits: Partial<Record<RateLimitKey, RateLimitSpec>>
  latency?: LatencySpec
  debugArrivals: boolean
}

/** resolveTargetConfig checks raw options and fills in defaults, throwing a LikebenchError (exit 2) on the first problem. */
export function resolveTargetConfig(raw: RawTargetOptions): TargetConfig {
  const flaws = must(parseFlaws(raw.flaws ?? []), 'flaw')
  const rateLimits: Partial<Record<RateLimitKey, RateLimitSpec>> = { ...DEFAULT_RATE_LIMITS }
  for (const text of raw.rateLimits ?? []) {
    const spec = must(parseRateLimitSpec(text), 'rate-limit')
    rateLimits[spec.key] = spec
  }
  const posts = raw.posts ?? DEFAULT_POSTS
  if (!Number.isInteger(posts) || posts < 1 || posts > MAX_POSTS) {
    throw new LikebenchError('LB_TARGET_OPTION', `posts must be a whole number from 1 to ${MAX_POSTS} (got ${posts})`, {
      hint: 'e.g. --posts 500',
    })
  }
  if (raw.secret !== undefined && raw.secret.length === 0) {
    throw new LikebenchError('LB_TARGET_OPTION', 'the secret is empty', { hint: 'omit it for a random one' })
  }
  return {
    posts,
    secret: raw.secret ?? randomBytes(18).toString('base64url'),
    flaws,
    rateLimits: flaws.noRateLimit ? {} : rateLimits,
    ...(raw.latency === undefined ? {} : { latency: must(parseLatencySpec(raw.latency), 'latency') }),
    debugArrivals: raw.debugArrivals ?? false,
  }
}

function must<T>(p: Parsed<T>, what: string): T {
  if (p.ok) return p.value
  throw new LikebenchError('LB_TARGET_OPTION', `${what}: ${p.message}`, p.hint === undefined ? {} : { hint: p.hint })
}
