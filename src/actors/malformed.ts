import type { Finding } from '../result.js'
import { randomAt } from '../rng.js'
import { MALFORMED_VARIANTS } from '../scenarios/types.js'
import { compileTemplate } from './requests.js'
import { addCounts, Answer, classOf, Permutation } from './tally.js'
import { Endpoint, type Actor, type ActorContext, type Outgoing } from './types.js'

/**
 * malformed: likes with bad input, sent by valid users (so the input gets past
 * authentication to the validation it is meant to test). Arrival n sends variant
 * variants[n mod V], input j = ⌊n / V⌋ mod (inputs of that variant), as user perm(n mod U):
 *   - bad-id, huge-id, traversal, injection: the input replaces the post id in the like's path
 *     (already URL-encoded; Endpoint.other, post 0, as it names no post);
 *   - bad-json: a like of a real post with an invalid JSON body and content-type JSON;
 *   - oversized: a like of a real post with a 1 MiB + 1 byte JSON body (one shared buffer).
 * Body variants are counted on the like endpoint with their post, as an accepted one moves a
 * count. Requests are built by hand from the api's like template, whose {post} is the slot.
 *
 * A defended API answers 4xx. Any 5xx (a crash) or 2xx (accepted) is a finding, naming the
 * inputs that did it; a throttled request never reached validation and counts as not tested;
 * a transport failure (e.g. the target closing the connection on an oversized body) is
 * reported but is not a finding.
 */

/** INPUTS lists what each variant sends: path segments for the id variants, bodies for the others. */
export const INPUTS: Readonly<Record<(typeof MALFORMED_VARIANTS)[number], readonly string[]>> = {
  'bad-id': ['abc', '-1', '1.5', '%00', 'NaN', 'null'],
  'huge-id': ['9'.repeat(10_000), '1' + '0'.repeat(20)],
  traversal: ['..%2F..%2Fetc%2Fpasswd', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '..%5C..%5Cwindows%5Cwin.ini'],
  injection: ["1'%20OR%20'1'%3D'1", '1%3BDROP%20TABLE%20likes', '1%20UNION%20SELECT%201', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  'bad-json': ['{"liked": tru', '{', 'not json', '{"a":1,}'],
  oversized: ['1 MiB + 1 byte of JSON'],
}

/** OVERSIZED_BYTES is the size of the oversized body: just over 1 MiB. */
export const OVERSIZED_BYTES = 1024 * 1024 + 1
/** SLOT marks the post id's place in a rendered path; it cannot occur in a URL. */
const SLOT = '\u0001'
const ID_VARIANTS = new Set(['bad-id', 'huge-id', 'traversal', 'injection'])
const MAX_OFFENDERS = 20

/** label shortens an input for a finding: long ones become their start and length. */
function label(input: string): string {
  return input.length <= 40 ? input : `${input.slice(0, 12)}…(${input.length} chars)`
}

/** malformed builds the bad-input actor. */
export function malformed(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'malformed') throw new Error('malformed actor with other options')
  const variants = o.variants
  const perm = new Permutation(ctx.population.count, ctx.rngKey, ctx.population.first)
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  // The like's path with a marker in the post slot, rendered per user (it may name {user.id}).
  const slotted = compileTemplate(slotPath(ctx.plan.api.like.path), ctx.users, ctx.templates.runId)
  const method = ctx.templates.method(Endpoint.like)
  const oversized = variants.includes('oversized') ? oversizedBody() : null
  const rows = variants.map(() => ({ sent: 0, held: 0, accepted: 0, crashed: 0, throttled: 0, failed: 0 }))
  const offenders = new Map<string, number>()

  const userOf = (n: number) => perm.at(n)
  /** offend counts `times` answers of one kind to one input; past MAX_OFFENDERS kinds only the known ones are counted. */
  const offend = (key: string, times: number) => {
    if (offenders.has(key) || offenders.size < MAX_OFFENDERS) offenders.set(key, (offenders.get(key) ?? 0) + times)
  }

  const build = (n: number): Outgoing => {
    const variant = variants[n % variants.length]!
    const inputs = INPUTS[variant]
    const input = inputs[Math.floor(n / variants.length) % inputs.length]!
    const user = userOf(n)
    const base = { method, endpoint: Endpoint.like, source: 0, user, ip: -1, token: user }
    if (ID_VARIANTS.has(variant)) {
      return { ...base, endpoint: Endpoint.other, post: 0, path: slotted(user, 0).replace(SLOT, input), headers: ctx.templates.headers(user), body: null }
    }
    const post = ctx.pickPost(randomAt(kPost, n))
    const body = variant === 'oversized' ? oversized! : input
    return { ...base, post, path: ctx.templates.path(Endpoint.like, user, post), headers: [...ctx.templates.headers(user), 'content-type', 'application/json'], body }
  }

  return {
    identity: userOf,
    // Bad ids touch no post; bad and oversized bodies aim at a real one, which must not change.
    posts: (n) => (ID_VARIANTS.has(variants[n % variants.length]!) ? [] : [ctx.pickPost(randomAt(kPost, n))]),
    fire(n, intendedMs, done) {
      const v = n % variants.length
      const req = build(n)
      const row = rows[v]!
      row.sent++
      ctx.send(req, intendedMs, (r) => {
        const c = classOf(r, ctx.plan.throttleStatus)
        if (c === Answer.throttled) row.throttled++
        else if (r.error !== null) row.failed++
        else if (c === Answer.rejected) row.held++
        else {
          if (c === Answer.admitted) row.accepted++
          else row.crashed++
          const inputs = INPUTS[variants[v]!]
          const key = `${variants[v]} ${label(inputs[Math.floor(n / variants.length) % inputs.length]!)} → ${r.status}`
          offend(key, 1)
        }
        done()
      })
    },
    state: () => ({ rows, offenders }),
    absorb(s) {
      const x = s as { rows: typeof rows; offenders: Map<string, number> }
      rows.forEach((row, i) => addCounts(row, x.rows[i]!))
      for (const [key, times] of x.offenders) offend(key, times)
    },
    findings(): Finding[] {
      const sum = (f: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + r[f], 0)
      const crashed = sum('crashed')
      const accepted = sum('accepted')
      const ok = crashed === 0 && accepted === 0
      const notes = [sum('throttled') && `${sum('throttled')} throttled before validation (not tested)`, sum('failed') && `${sum('failed')} ended without an answer`].filter(Boolean)
      const tail = notes.length ? `; ${notes.join(', ')}` : ''
      const bad = [crashed && `${crashed} inputs crashed the server (5xx)`, accepted && `${accepted} were accepted (2xx)`].filter(Boolean)
      const message = ok ? `all ${sum('held')} answered bad inputs were refused (4xx)${tail}` : `${bad.join(', ')} of ${sum('sent')} bad inputs${tail}`
      return [{
        actor: ctx.actor.name, kind: 'malformed', ok, message,
        evidence: {
          sent: sum('sent'), held: sum('held'), crashed, accepted, throttled: sum('throttled'), failed: sum('failed'),
          variants: Object.fromEntries(variants.map((v, i) => [v, rows[i]!])),
          inputs: Object.fromEntries(offenders),
        },
      }]
    },
  }
}

/** slotPath puts SLOT where the post id goes (a path without {post} gets it appended as a segment). */
function slotPath(path: string): string {
  return path.includes('{post}') ? path.replace('{post}', SLOT) : `${path.replace(/\/$/, '')}/${SLOT}`
}

/** oversizedBody returns valid JSON of OVERSIZED_BYTES bytes: only its size is wrong. */
function oversizedBody(): Buffer {
  const buf = Buffer.alloc(OVERSIZED_BYTES, 0x61)
  buf.write('{"pad":"', 0, 'latin1')
  buf.write('"}', OVERSIZED_BYTES - 2, 'latin1')
  return buf
}
