import type { Problem } from '../errors.js'
import { parseThresholdExpr, parseThresholdKey } from '../verdicts/threshold-expr.js'
import type { Locator, PathSeg } from './locate.js'
import type { ActorInputType, ScenarioInputType, StageInputType } from './schema.js'
import { readUsersFile } from './checks.js'
import type { Report } from './lint.js'
import {
  MALFORMED_VARIANTS, SPOOF_HEADERS, UNAUTH_VARIANTS,
  type ActorOptions, type ActorPlan, type ApiPlan, type Plan, type PolicyPlan, type PostPick, type Stage,
  type TargetPlan, type ThresholdPlan, type UsersPlan,
} from './types.js'
import { openFigures, requestsPerArrival } from './stages.js'

/**
 * Compiling a scenario that passed the schema and lint into a Plan: defaults that fit the
 * built-in target, units already converted. The only checks left here are those that need
 * typed values (a post id beyond posts.count, a schedule that sends nothing).
 */

/** DEFAULT_API speaks to the built-in reference target (DESIGN.md section 6). */
export const DEFAULT_API: ApiPlan = {
  like: { method: 'POST', path: '/v1/posts/{post}/likes' },
  unlike: { method: 'DELETE', path: '/v1/posts/{post}/likes' },
  read: { method: 'GET', path: '/v1/posts/{post}', count: 'likes' },
  headers: { authorization: 'Bearer {user.token}' },
}

const DEFAULT_MAX_IN_FLIGHT = 10_000

/** CompileContext carries what compiling needs besides the input: where problems point and where files are. */
export interface CompileContext {
  file: string
  dir: string
  loc: Locator
}

/** compile turns a shape-valid scenario into a Plan, or returns every cross-field problem it found. */
export function compile(input: ScenarioInputType, ctx: CompileContext): { plan?: Plan; problems: Problem[] } {
  const problems: Problem[] = []
  const report = (path: PathSeg[], message: string, hint?: string, atKey = false) =>
    problems.push(ctx.loc.problem(path, message, hint, atKey))

  const target = compileTarget(input)
  const api = compileApi(input)
  const users = compileUsers(input, ctx)
  const posts = { count: input.posts?.count ?? 100, pick: parsePick(input.posts?.pick ?? 'zipf(1.1)') }
  const actors = Object.entries(input.actors).map(([name, a]) => compileActor(name, a, posts.count, report))
  if (actors.length === 0) report(['actors'], 'no actors', 'add at least one actor, e.g. organic: { kind: organic, rate: { hold: 50/s, for: 10s } }')
  const policies = compilePolicies(input)
  const thresholds = compileThresholds(input)

  if (problems.length) return { problems }
  const plan: Plan = {
    name: input.name ?? ctx.file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
    file: ctx.file,
    seed: input.seed ?? 1,
    target,
    api,
    users,
    posts,
    actors,
    policies,
    throttleStatus: input.throttleStatus ?? [429],
    integrity: { read: input.integrity?.read ?? 'after', settleMs: input.integrity?.settle ?? 500 },
    thresholds,
    durationMs: Math.max(0, ...actors.map((a) => a.startMs + a.durationMs)),
  }
  return { plan, problems }
}

function compileTarget(input: ScenarioInputType): TargetPlan {
  const t = typeof input.target === 'string' ? { url: input.target } : (input.target ?? {})
  const builtin = typeof input.target === 'object' ? (input.target.builtin ?? {}) : {}
  const plan: TargetPlan = {
    url: t.url ?? 'builtin',
    builtin: { flaws: builtin.flaws ?? [], rateLimits: builtin.rateLimits ?? [] },
    connections: t.connections ?? 64,
    timeoutMs: t.timeout ?? 5000,
    warmupMs: t.warmup ?? 1000,
    allow: t.allow ?? [],
    localAddresses: t.localAddresses ?? [],
  }
  if (builtin.latency !== undefined) plan.builtin.latency = builtin.latency
  if (builtin.posts !== undefined) plan.builtin.posts = builtin.posts
  if (builtin.secret !== undefined) plan.builtin.secret = builtin.secret
  return plan
}

function compileApi(input: ScenarioInputType): ApiPlan {
  const a = input.api ?? {}
  const api: ApiPlan = {
    like: { ...DEFAULT_API.like, ...strip(a.like) },
    unlike: { ...DEFAULT_API.unlike, ...strip(a.unlike) },
    read: { ...DEFAULT_API.read, ...strip(a.read) },
    headers: a.headers ?? DEFAULT_API.headers,
  }
  if (a.login) api.login = { method: a.login.method ?? 'POST', path: a.login.path, token: a.login.token ?? 'token', ...(a.login.body ? { body: a.login.body } : {}) }
  return api
}

function strip<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
}

function compileUsers(input: ScenarioInputType, ctx: CompileContext): UsersPlan {
  const u = input.users
  if (!u || 'count' in u) return { kind: 'generated', count: u?.count ?? 1000, ...(u?.secret ? { secret: u.secret } : {}) }
  const r = readUsersFile(ctx.dir, u.file)
  // lint has already refused a missing or malformed file.
  if (!r.ok) throw new Error(`users file ${u.file}: ${r.message}`)
  return { kind: 'file', file: r.value.path, count: r.value.count, hasIp: r.value.hasIp }
}

function parsePick(pick: string): PostPick {
  const zipf = /^zipf\(\s*([\d.]+)\s*\)$/.exec(pick)
  if (zipf) return { kind: 'zipf', s: Number(zipf[1]) }
  const hot = /^hot\(\s*(\d+)\s*,\s*([\d.]+)%\s*\)$/.exec(pick)
  if (hot) return { kind: 'hot', size: Number(hot[1]), share: Number(hot[2]) / 100 }
  return { kind: 'uniform' }
}

function toStage(s: StageInputType): Stage {
  if ('hold' in s) return { kind: 'hold', rate: s.hold, durationMs: s.for }
  if ('spike' in s) return { kind: 'spike', rate: s.spike, durationMs: s.for }
  if ('ramp' in s) return { kind: 'ramp', from: s.ramp.from, to: s.ramp.to, durationMs: s.over }
  return { kind: 'pause', durationMs: s.pause }
}

function compileActor(name: string, a: ActorInputType, postCount: number, report: Report): ActorPlan {
  const path = ['actors', name]
  const options = actorOptions(a)
  for (const [i, id] of ('posts' in options && options.posts ? options.posts : []).entries()) {
    if (id > postCount) report([...path, 'posts', i], `post ${id} does not exist (posts.count is ${postCount})`, `use ids 1..${postCount}, or raise posts.count`)
  }
  const base = { name, kind: a.kind, options, startMs: a.start ?? 0, maxInFlight: a.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, arrivals: a.arrivals ?? 'uniform' } as const
  // The schema's modelCheck guarantees exactly one model: concurrency with for, or rate.
  if (a.concurrency !== undefined) {
    return { ...base, model: 'closed', stages: [], concurrency: a.concurrency, durationMs: a.for ?? 0, expectedArrivals: 0, expectedRequests: undefined, peakRps: 0 }
  }
  if (a.rate === undefined) throw new Error(`actor ${name} has no schedule; the schema should have refused it`)
  const stages = (Array.isArray(a.rate) ? a.rate : [a.rate]).map(toStage)
  const figures = openFigures(stages, requestsPerArrival(options))
  if (figures.expectedArrivals === 0) report([...path, 'rate'], 'this schedule sends nothing', 'give at least one stage a rate above 0 for a while')
  return { ...base, model: 'open', stages, ...figures }
}

function actorOptions(a: ActorInputType): ActorOptions {
  switch (a.kind) {
    case 'organic': return { kind: 'organic', unlikeRatio: a.unlikeRatio ?? 0.1, readRatio: a.readRatio ?? 0 }
    case 'flood': return { kind: 'flood', accounts: a.accounts ?? 100, ips: { count: a.ips?.count ?? 4, via: a.ips?.via ?? 'source' }, posts: a.posts ?? [1] }
    case 'duplicate': return { kind: 'duplicate', copies: a.copies ?? 2, mode: a.mode ?? 'burst', ...(a.posts ? { posts: a.posts } : {}) }
    case 'toggle': return { kind: 'toggle', users: a.users ?? 1, ...(a.posts ? { posts: a.posts } : {}) }
    case 'spoof': return { kind: 'spoof', headers: a.headers ?? [...SPOOF_HEADERS], ips: a.ips ?? 1000, accounts: a.accounts ?? 50, ...(a.posts ? { posts: a.posts } : {}) }
    case 'unauthenticated': return { kind: 'unauthenticated', variants: a.variants ?? [...UNAUTH_VARIANTS] }
    case 'malformed': return { kind: 'malformed', variants: a.variants ?? [...MALFORMED_VARIANTS] }
  }
}

function compilePolicies(input: ScenarioInputType): PolicyPlan[] {
  return (input.policy ?? []).map((p) => {
    const on = p.on === undefined ? ['like'] : Array.isArray(p.on) ? p.on : [p.on]
    return { name: p.name, key: p.key, limit: p.limit, perMs: p.per, burst: p.burst ?? p.limit, on: on as PolicyPlan['on'] }
  })
}

/** compileThresholds converts thresholds that lint has already checked. */
function compileThresholds(input: ScenarioInputType): ThresholdPlan[] {
  const out: ThresholdPlan[] = []
  for (const [metric, items] of Object.entries(input.thresholds ?? {})) {
    const key = parseThresholdKey(metric)
    if (!key.ok) continue
    for (const item of items) {
      const text = typeof item === 'string' ? item : item.threshold
      const expr = parseThresholdExpr(key.value.name, text)
      if (!expr.ok) continue
      out.push({
        metric, name: key.value.name, tags: key.value.tags, expr: text.trim(), ...expr.value,
        abortOnFail: typeof item === 'object' && item.abortOnFail === true,
        delayAbortEvalMs: typeof item === 'object' ? (item.delayAbortEval ?? 0) : 0,
      })
    }
  }
  return out
}
