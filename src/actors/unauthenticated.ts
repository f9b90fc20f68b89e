import type { Finding } from '../result.js'
import { randomAt } from '../rng.js'
import { UNAUTH_VARIANTS } from '../scenarios/types.js'
import { addCounts, Answer, classOf, Permutation } from './tally.js'
import { Endpoint, type Actor, type ActorContext } from './types.js'

/**
 * unauthenticated: likes without valid credentials. Arrival n sends variants[n mod V] as
 * identity i = ⌊n / V⌋ mod K (K = min(users, 256): header lists are built once per
 * identity and variant, so the hot path only indexes):
 *   - missing: no credentials at all (the api's headers that name {user.token} are left out);
 *   - bad-signature: user A's token with its signature replaced (same length, wrong bytes);
 *   - other-user: a token claiming user B but carrying A's signature. The built-in target
 *     reads the user from the token itself, so "another user's token" is this forgery: a
 *     request that claims to be B with proof that only A could give.
 * A = perm(i), B = the user half the population away (B ≠ A whenever there are two users).
 * Tokens are split at their last dot into claim and signature; a token without a dot is
 * treated as all signature. The forged token replaces {user.token} (and B's id {user.id})
 * in every api header that names it.
 *
 * A defended API refuses all of it (401/403). Any 2xx is a finding, per variant. Requests
 * throttled before authentication are reported as not tested.
 */

/** MAX_IDENTITIES bounds the identities forged tokens are made for. */
const MAX_IDENTITIES = 256

type Variant = (typeof UNAUTH_VARIANTS)[number]

/** forgeToken returns `variant`'s credential from user A's valid token and user B's id (empty for missing). */
export function forgeToken(variant: Variant, tokenA: string, idB: string): string {
  if (variant === 'missing') return ''
  const dot = tokenA.lastIndexOf('.')
  const claim = dot < 0 ? '' : tokenA.slice(0, dot + 1)
  const sig = tokenA.slice(dot + 1)
  if (variant === 'other-user') return `${idB}.${sig}`
  const bad = (sig[0] === 'A' ? 'B' : 'A').repeat(Math.max(1, sig.length))
  return claim + bad
}

/** unauthenticated builds the bad-credentials actor. */
export function unauthenticated(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'unauthenticated') throw new Error('unauthenticated actor with other options')
  const variants = o.variants
  const count = ctx.population.count
  const k = Math.min(count, MAX_IDENTITIES)
  const perm = new Permutation(count, ctx.rngKey, ctx.population.first)
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  const tokenHeaders = Object.entries(ctx.plan.api.headers).filter(([, v]) => v.includes('{user.token}'))
  const hasBody = ctx.templates.body(Endpoint.like, -1, 1) !== undefined
  const cache = new Array<string[] | undefined>(variants.length * k)
  const rows = variants.map(() => ({ sent: 0, accepted: 0, refused: 0, throttled: 0, other: 0, failed: 0 }))

  const userA = (i: number) => perm.at(i)
  const userB = (a: number) => (a + Math.max(1, Math.floor(count / 2))) % count
  const claimed = (v: Variant, i: number) => (v === 'other-user' ? userB(userA(i)) : userA(i))

  const headersOf = (v: number, i: number): string[] => {
    const slot = v * k + i
    const hit = cache[slot]
    if (hit) return hit
    const variant = variants[v]!
    const a = userA(i)
    const idB = count > 1 ? ctx.users.id(userB(a)) : `${ctx.users.id(a)}-other`
    const token = forgeToken(variant, ctx.users.token(a), idB)
    const extra: string[] = []
    if (token !== '') {
      for (const [name, tpl] of tokenHeaders) {
        extra.push(name.toLowerCase(), tpl.replaceAll('{user.token}', token).replaceAll('{user.id}', variant === 'other-user' ? idB : ctx.users.id(a)).replaceAll('{run.id}', ctx.templates.runId))
      }
    }
    if (hasBody) extra.push('content-type', 'application/json')
    return (cache[slot] = ctx.templates.build(-1, extra))
  }

  return {
    identity: (n) => claimed(variants[n % variants.length]!, Math.floor(n / variants.length) % k),
    // Its likes should all be refused; with a broken auth they count, so their posts are read too.
    posts: (n) => [ctx.pickPost(randomAt(kPost, n))],
    fire(n, intendedMs, done) {
      const v = n % variants.length
      const i = Math.floor(n / variants.length) % k
      const req = ctx.templates.request(Endpoint.like, -1, ctx.pickPost(randomAt(kPost, n)))
      req.headers = headersOf(v, i)
      req.token = -1
      const row = rows[v]!
      row.sent++
      ctx.send(req, intendedMs, (r) => {
        const c = classOf(r, ctx.plan.throttleStatus)
        if (c === Answer.admitted) row.accepted++
        else if (c === Answer.throttled) row.throttled++
        else if (c === Answer.failed) row.failed++
        else if (r.status === 401 || r.status === 403) row.refused++
        else row.other++
        done()
      })
    },
    state: () => ({ rows }),
    absorb(s) {
      const x = s as { rows: typeof rows }
      rows.forEach((row, i) => addCounts(row, x.rows[i]!))
    },
    findings(): Finding[] {
      const sum = (f: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + r[f], 0)
      const sent = sum('sent')
      const accepted = sum('accepted')
      const throttled = sum('throttled')
      const ok = accepted === 0
      const byVariant = variants.map((v, i) => `${v} ${rows[i]!.accepted}`).join(', ')
      const untested = throttled > 0 ? `; ${throttled} throttled before authentication (not tested)` : ''
      const message = ok
        ? `all ${sent - throttled - sum('failed')} answered requests without valid credentials were refused (401/403: ${sum('refused')}, other 4xx: ${sum('other')})${untested}`
        : `${accepted} of ${sent} requests without valid credentials were accepted (2xx): ${byVariant}${untested}`
      return [{
        actor: ctx.actor.name, kind: 'unauthenticated', ok, message,
        evidence: { sent, accepted, throttled, refused: sum('refused'), other: sum('other'), failed: sum('failed'), variants: Object.fromEntries(variants.map((v, i) => [v, rows[i]!])) },
      }]
    },
  }
}
