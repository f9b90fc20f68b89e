import { sourceAddress, spoofedAddress } from '../identities/ips.js'
import type { Finding } from '../result.js'
import { addArrays, allowance, Answer, boundsFor, BUILTIN_IP, BUILTIN_USER, describeBound, maxOf, Permutation, share, Span, Tally, type Bound } from './tally.js'
import { Endpoint, type Actor, type ActorContext, type Outgoing } from './types.js'

/**
 * flood: a like farm. `accounts` accounts behind `ips.count` source addresses, all liking the
 * same few `posts`, as fast as the schedule says. Request n is a pure function of n:
 *   - account a = n mod A (A = accounts, at most the population), acting as user perm(a);
 *   - its address i = a mod K: an account always comes from the same address, as a farm's
 *     phone or proxy would, so identities stay stable;
 *   - its post is posts[⌊n / A⌋ mod P]: every account likes the first post, then the next.
 * `ips.via: source` binds the connection to a real loopback address (127.0.0.2 + i, or
 * target.localAddresses[i]), so the target sees K distinct peers, none of them the
 * 127.0.0.1 every other actor sends from (a farm must not share ordinary users' per-IP
 * bucket, nor blur which key the rate-limit oracle sees); `via: <header>` sends
 * from the generator's own address and names spoofedAddress(i) in that forwarding header.
 * Outgoing.ip is i either way: the farm models K distinct clients.
 *
 * A defended API throttles a farm once it passes the per-IP (or per-account) limit. The
 * finding fires when the farm passed the limits it is judged against (the scenario's ip,
 * user and global policies on like, else the built-in target's defaults) and yet nothing at
 * all was throttled. How much it over-admitted per key is the rate-limit oracle's question.
 */

/** MAX_EVIDENCE_IPS bounds the per-address rows a finding carries. */
const MAX_EVIDENCE_IPS = 64

/** flood builds the like-farm actor. */
export function flood(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'flood') throw new Error('flood actor with other options')
  const accounts = Math.min(o.accounts, ctx.population.count)
  const k = o.ips.count
  const via = o.ips.via
  const perm = new Permutation(ctx.population.count, ctx.rngKey, ctx.population.first)
  const local = ctx.plan.target.localAddresses
  const address = (i: number) => (via === 'source' ? sourceAddress(local, i) : spoofedAddress(i))
  const sources = new Int32Array(via === 'source' ? k : 0).fill(-1)
  const hasBody = ctx.templates.body(Endpoint.like, 0, o.posts[0]!) !== undefined
  // Header lists per account for `via: <header>`, built on first use (accounts are few).
  const headerCache: Array<string[] | undefined> = []
  const headerName = via === 'forwarded' ? 'forwarded' : via
  const headersOf = (a: number, user: number) =>
    (headerCache[a] ??= ctx.templates.build(user, [
      headerName, via === 'forwarded' ? `for=${address(a % k)}` : address(a % k),
      ...(hasBody ? ['content-type', 'application/json'] : []),
    ]))

  const tally = new Tally(ctx.plan.throttleStatus)
  const span = new Span()
  const ipSent = new Int32Array(k)
  const ipAdmitted = new Int32Array(k)
  const ipThrottled = new Int32Array(k)
  const accountSent = new Int32Array(accounts)

  const accountOf = (n: number) => n % accounts
  const userOf = (a: number) => perm.at(a)

  return {
    // An account always sends from one address, so the address is the identity: one worker sends all of it.
    identity: (n) => accountOf(n) % k,
    posts: (n) => [o.posts[Math.floor(n / accounts) % o.posts.length]!],
    fire(n, intendedMs, done) {
      const a = accountOf(n)
      const user = userOf(a)
      const ip = a % k
      const post = o.posts[Math.floor(n / accounts) % o.posts.length]!
      const req: Outgoing = ctx.templates.request(Endpoint.like, user, post)
      req.ip = ip
      if (via === 'source') req.source = sources[ip]! >= 0 ? sources[ip]! : (sources[ip] = ctx.source(address(ip)))
      else req.headers = headersOf(a, user)
      span.add(intendedMs)
      ipSent[ip]!++
      accountSent[a]!++
      ctx.send(req, intendedMs, (r) => {
        const c = tally.add(r)
        if (c === Answer.admitted) ipAdmitted[ip]!++
        else if (c === Answer.throttled) ipThrottled[ip]!++
        done()
      })
    },
    state: (shift) => ({ tally: tally.counts(), span: span.state(shift), ipSent, ipAdmitted, ipThrottled, accountSent }),
    absorb(s) {
      const x = s as { tally: ReturnType<Tally['counts']>; span: Span; ipSent: Int32Array; ipAdmitted: Int32Array; ipThrottled: Int32Array; accountSent: Int32Array }
      tally.absorb(x.tally)
      span.absorb(x.span)
      addArrays(ipSent, x.ipSent)
      addArrays(ipAdmitted, x.ipAdmitted)
      addArrays(ipThrottled, x.ipThrottled)
      addArrays(accountSent, x.accountSent)
    },
    findings(): Finding[] {
      const bounds = boundsFor(ctx.plan, ['ip', 'user', 'global'], ['like'], [BUILTIN_IP, BUILTIN_USER])
      const passed = bounds.find((b) => maxFor(b, ipSent, accountSent, tally.sent) > allowance(b, span.ms))
      const t = tally
      const ok = t.sent === 0 || t.throttled > 0 || passed === undefined
      const where = `${accounts} account${accounts === 1 ? '' : 's'} on ${k} ${via === 'source' ? 'source' : via} address${k === 1 ? '' : 'es'}`
      let message: string
      if (t.sent === 0) message = 'the farm sent nothing'
      else if (!ok) message = `none of ${t.sent} farm requests were throttled: ${t.admitted} admitted (${share(t.admitted, t.sent)}) from ${where}, though the farm passed ${describeBound(passed!)}`
      else if (t.throttled > 0) message = `the farm was throttled: ${t.throttled} of ${t.sent} requests (${share(t.throttled, t.sent)}), ${t.admitted} admitted (${share(t.admitted, t.sent)}) from ${where}`
      else message = `the farm stayed within ${bounds.map(describeBound).join(' and ')}: nothing needed throttling (${t.admitted} of ${t.sent} admitted)`
      const perIp = Array.from({ length: Math.min(k, MAX_EVIDENCE_IPS) }, (_, i) => ({ ip: address(i), sent: ipSent[i]!, admitted: ipAdmitted[i]!, throttled: ipThrottled[i]! }))
      return [{
        actor: ctx.actor.name, kind: 'flood', ok, message,
        evidence: {
          ...t.counts(), admittedShare: t.sent ? t.admitted / t.sent : 0, accounts, ips: k, via, spanMs: Math.round(span.ms),
          judgedAgainst: bounds.map(describeBound), passed: passed ? describeBound(passed) : null, perIp,
        },
      }]
    },
  }
}

/** maxFor returns the most requests any one key of bound `b` sent: per address, per account, or in all. */
function maxFor(b: Bound, ipSent: Int32Array, accountSent: Int32Array, total: number): number {
  if (b.key === 'ip') return maxOf(ipSent)
  if (b.key === 'user' || b.key === 'token') return maxOf(accountSent)
  return total
}
