import { spoofedAddress } from '../identities/ips.js'
import type { Finding } from '../result.js'
import { randomAt } from '../rng.js'
import { SPOOF_HEADERS } from '../scenarios/types.js'
import { addCounts, allowance, Answer, boundsFor, BUILTIN_IP, describeBound, Permutation, share, Span, Tally } from './tally.js'
import { Endpoint, type Actor, type ActorContext, type Outgoing } from './types.js'

/**
 * spoof: one real client that claims a different address on every request, rotating
 * X-Forwarded-For, X-Real-IP and Forwarded (`headers`) through `ips` addresses of the
 * benchmarking range 198.18.0.0/15. Request n is a pure function of n: it claims
 * spoofedAddress(n mod ips) in headers[n mod H], and likes as account perm(n mod A) a post
 * from `posts` (in turn) or by popularity. Outgoing.ip stays -1: whatever the headers say,
 * the requests come from the generator's own address, which is what a per-IP policy of a
 * defended API keys on.
 *
 * A defended API ignores headers a client can write and applies the same per-IP limit as
 * without them. The finding fires when the spoofer was admitted beyond what one source may
 * be: its traffic passed the per-source limit it is judged against (the scenario's ip or
 * global policy on like, else the built-in target's default of 1000/s with a burst of 1000)
 * and either nothing was throttled or more than LEAK_FACTOR × that limit's allowance was
 * admitted. The second test still fires when a per-user limit throttles some accounts, so
 * choose `accounts` so each account stays within the per-user limit when you want the
 * per-IP defense measured on its own.
 */

/** LEAK_FACTOR is how far above one source's allowance admissions must go to count as a dodge (timing slack). */
export const LEAK_FACTOR = 1.25

type HeaderName = (typeof SPOOF_HEADERS)[number]

/** spoofHeader renders the forwarding header that claims `address`. */
export function spoofHeader(name: HeaderName, address: string): string {
  return name === 'forwarded' ? `for=${address}` : address
}

/** spoof builds the forwarding-header spoofing actor. */
export function spoof(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'spoof') throw new Error('spoof actor with other options')
  const accounts = Math.min(o.accounts, ctx.population.count)
  const perm = new Permutation(ctx.population.count, ctx.rngKey, ctx.population.first)
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  const hasBody = ctx.templates.body(Endpoint.like, 0, 1) !== undefined
  // Claimed addresses are rendered once per (header, address) on first use.
  const values = o.headers.map(() => new Array<string | undefined>(o.ips))
  const tally = new Tally(ctx.plan.throttleStatus)
  const span = new Span()
  const perHeader = o.headers.map(() => ({ sent: 0, admitted: 0, throttled: 0 }))

  const userOf = (n: number) => perm.at(n % accounts)
  const postOf = (n: number) => (o.posts ? o.posts[Math.floor(n / accounts) % o.posts.length]! : ctx.pickPost(randomAt(kPost, n)))

  return {
    identity: userOf,
    posts: (n) => [postOf(n)],
    fire(n, intendedMs, done) {
      const h = n % o.headers.length
      const ip = n % o.ips
      const name = o.headers[h]!
      const value = (values[h]![ip] ??= spoofHeader(name, spoofedAddress(ip)))
      const user = userOf(n)
      const req: Outgoing = ctx.templates.request(Endpoint.like, user, postOf(n))
      req.headers = hasBody ? [...ctx.templates.headers(user), name, value, 'content-type', 'application/json'] : [...ctx.templates.headers(user), name, value]
      span.add(intendedMs)
      const row = perHeader[h]!
      row.sent++
      ctx.send(req, intendedMs, (r) => {
        const c = tally.add(r)
        if (c === Answer.admitted) row.admitted++
        else if (c === Answer.throttled) row.throttled++
        done()
      })
    },
    state: (shift) => ({ tally: tally.counts(), span: span.state(shift), perHeader }),
    absorb(s) {
      const x = s as { tally: ReturnType<Tally['counts']>; span: Span; perHeader: typeof perHeader }
      tally.absorb(x.tally)
      span.absorb(x.span)
      perHeader.forEach((row, i) => addCounts(row, x.perHeader[i]!))
    },
    findings(): Finding[] {
      const t = tally
      const bounds = boundsFor(ctx.plan, ['ip', 'global'], ['like'], [BUILTIN_IP])
      const passed = bounds.find((b) => t.sent > allowance(b, span.ms))
      const leak = bounds.find((b) => t.admitted > LEAK_FACTOR * allowance(b, span.ms) + 1)
      const ok = t.sent === 0 || passed === undefined || (t.throttled > 0 && leak === undefined)
      const seconds = (span.ms / 1000).toFixed(1)
      let message: string
      if (t.sent === 0) message = 'sent nothing'
      else if (passed === undefined) message = `stayed within ${bounds.map(describeBound).join(' and ')} (${t.sent} requests): too little to tell whether the headers dodge it`
      else if (ok) message = `rotating forwarding headers did not dodge the per-source limit: ${t.throttled} of ${t.sent} requests throttled (${share(t.throttled, t.sent)}), ${t.admitted} admitted in ${seconds}s`
      else if (t.throttled === 0) message = `none of ${t.sent} requests with rotating forwarding headers were throttled, though from one real address they passed ${describeBound(passed)}: the per-IP limit follows the headers`
      else message = `${t.admitted} of ${t.sent} requests with rotating forwarding headers were admitted in ${seconds}s from one real address, above the ~${Math.round(allowance(leak!, span.ms))} that ${describeBound(leak!)} allows one source`
      return [{
        actor: ctx.actor.name, kind: 'spoof', ok, message,
        evidence: {
          ...t.counts(), admittedShare: t.sent ? t.admitted / t.sent : 0, spanMs: Math.round(span.ms),
          addresses: Math.min(t.sent, o.ips), accounts,
          perHeader: Object.fromEntries(o.headers.map((name, i) => [name, perHeader[i]!])),
          judgedAgainst: bounds.map((b) => ({ bound: describeBound(b), allowed: Math.round(allowance(b, span.ms)) })),
        },
      }]
    },
  }
}
