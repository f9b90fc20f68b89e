import { didYouMean } from '../suggest.js'
import { parseThresholdExpr, parseThresholdKey } from '../verdicts/threshold-expr.js'
import { checkBuiltin, isLoopbackHost, readUsersFile } from './checks.js'
import type { PathSeg } from './locate.js'
import { ENDPOINTS } from './types.js'

/**
 * The checks that need more than one key — a threshold naming an actor, a policy on an
 * endpoint the api lacks, a non-loopback host without target.allow, a users file without a
 * token column. They read the raw document defensively (any part may be malformed), so they
 * run beside the schema and a file's problems are all reported in one pass.
 */

/** TEMPLATE_VARS are the placeholders a path, body or header template may use. */
export const TEMPLATE_VARS = ['post', 'user.id', 'user.token', 'run.id'] as const

/** Report records one problem at a key path (at the key itself with `atKey`). */
export type Report = (path: PathSeg[], message: string, hint?: string, atKey?: boolean) => void

type Raw = Record<string, unknown>
const obj = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** lint runs every cross-key check over the raw (interpolated) document. */
export function lint(root: unknown, dir: string, report: Report): void {
  const r = obj(root) ?? {}
  lintTarget(r.target, report)
  lintApi(obj(r.api), report)
  lintUsers(obj(r.users), dir, report)
  const policies = Array.isArray(r.policy) ? r.policy.map(obj) : []
  lintPolicies(policies, obj(obj(r.api)?.login) !== undefined, report)
  const actorNames = Object.keys(obj(r.actors) ?? {})
  const policyNames = policies.map((p) => str(p?.name)).filter((n): n is string => n !== undefined)
  lintThresholds(obj(r.thresholds), actorNames, policyNames, report)
}

function lintTarget(target: unknown, report: Report): void {
  const t = typeof target === 'string' ? { url: target } : (obj(target) ?? {})
  const urlPath: PathSeg[] = typeof target === 'string' ? ['target'] : ['target', 'url']
  const url = str(t.url) ?? 'builtin'
  const allow = Array.isArray(t.allow) ? t.allow.filter((h): h is string => typeof h === 'string') : []
  const builtin = obj(t.builtin)
  if (url !== 'builtin') {
    let parsed: URL | undefined
    try {
      parsed = new URL(url)
    } catch {
      report(urlPath, `"${url}" is not a URL`, 'write builtin, or a URL such as http://127.0.0.1:8080')
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      report(urlPath, `${parsed.protocol} is not supported`, 'use an http:// or https:// URL')
    } else if (parsed && !isLoopbackHost(parsed.hostname) && !allow.includes(parsed.hostname)) {
      report(urlPath, `${parsed.hostname} is not a loopback address`,
        `likebench only targets loopback by default; if you own ${parsed.hostname}, list it under target.allow and pass --allow-host ${parsed.hostname} to run`)
    }
    if (builtin) report(['target', 'builtin'], 'builtin options only apply when target.url is builtin', 'remove target.builtin or set url: builtin', true)
  }
  if (builtin) {
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined)
    const b: { flaws?: string[]; rateLimits?: string[]; latency?: string } = {}
    const flaws = strings(builtin.flaws)
    const rateLimits = strings(builtin.rateLimits)
    if (flaws) b.flaws = flaws
    if (rateLimits) b.rateLimits = rateLimits
    if (typeof builtin.latency === 'string') b.latency = builtin.latency
    checkBuiltin(b, (path, message, hint) => report(['target', 'builtin', ...path], message, hint))
  }
}

function lintApi(api: Raw | undefined, report: Report): void {
  if (!api) return
  for (const name of ['like', 'unlike', 'read', 'login']) {
    const ep = obj(api[name])
    for (const field of ['path', 'body']) {
      const text = str(ep?.[field])
      if (text !== undefined) lintTemplate(text, ['api', name, field], report)
    }
  }
  for (const [h, v] of Object.entries(obj(api.headers) ?? {})) {
    if (typeof v === 'string') lintTemplate(v, ['api', 'headers', h], report)
  }
}

function lintTemplate(text: string, path: PathSeg[], report: Report): void {
  for (const m of text.matchAll(/\{([^{}]*)\}/g)) {
    const v = m[1]!
    if (!(TEMPLATE_VARS as readonly string[]).includes(v)) report(path, `unknown placeholder {${v}}`, didYouMean(v, TEMPLATE_VARS))
  }
}

function lintUsers(users: Raw | undefined, dir: string, report: Report): void {
  const file = str(users?.file)
  if (file === undefined) return
  const r = readUsersFile(dir, file)
  if (!r.ok) report(['users', 'file'], r.message, r.hint)
}

function lintPolicies(policies: Array<Raw | undefined>, hasLogin: boolean, report: Report): void {
  const seen = new Set<string>()
  policies.forEach((p, i) => {
    const name = str(p?.name)
    if (name !== undefined && seen.has(name)) report(['policy', i, 'name'], `policy "${name}" is declared twice`, 'give each policy its own name')
    if (name !== undefined) seen.add(name)
    const on = p?.on
    const list = Array.isArray(on) ? on : on === undefined ? [] : [on]
    list.forEach((ep, j) => {
      if (typeof ep !== 'string') return
      const at: PathSeg[] = Array.isArray(on) ? ['policy', i, 'on', j] : ['policy', i, 'on']
      if (ep === 'login' && !hasLogin) report(at, 'the api defines no login endpoint', 'add api.login, or limit like, unlike or read')
      else if (ep !== 'login' && !(ENDPOINTS as readonly string[]).includes(ep)) report(at, `the api has no endpoint "${ep}"`, didYouMean(ep, ENDPOINTS))
    })
  })
}

function lintThresholds(thresholds: Raw | undefined, actors: string[], policies: string[], report: Report): void {
  const names: Record<string, string[]> = { actor: actors, policy: policies, endpoint: [...ENDPOINTS] }
  for (const [metric, items] of Object.entries(thresholds ?? {})) {
    const key = parseThresholdKey(metric)
    if (!key.ok) {
      report(['thresholds', metric], key.message, key.hint, true)
      continue
    }
    for (const [tag, value] of Object.entries(key.value.tags)) {
      const known = names[tag]
      if (known && !known.includes(value)) {
        const hint = known.length ? didYouMean(value, known) : `the scenario declares no ${tag === 'policy' ? 'policy' : tag + 's'}`
        report(['thresholds', metric], `no ${tag} named "${value}"`, hint, true)
      }
    }
    if (key.value.name === 'ratelimit' && policies.length === 0) report(['thresholds', metric], 'ratelimit thresholds need a policy', 'declare the limits the target claims under policy:', true)
    if (!Array.isArray(items)) continue
    items.forEach((item, i) => {
      const text = typeof item === 'string' ? item : str(obj(item)?.threshold)
      if (text === undefined) return
      const expr = parseThresholdExpr(key.value.name, text)
      if (!expr.ok) report(typeof item === 'string' ? ['thresholds', metric, i] : ['thresholds', metric, i, 'threshold'], expr.message, expr.hint)
    })
  }
}
