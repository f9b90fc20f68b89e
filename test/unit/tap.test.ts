import { describe, expect, it } from 'vitest'
import type { Outgoing } from '../../src/actors/types.js'
import type { Observer, Sender, SentHook } from '../../src/engine/sender.js'
import { Replay, TapWriter, type TapBatch } from '../../src/engine/tap.js'
import type { Outcome } from '../../src/transport/send.js'

/** FakeSender is the part of a Sender a TapWriter uses: it keeps the hook and observers so a test can call them. */
class FakeSender {
  hook: SentHook | null = null
  observers: Observer[] = []
  rateHeaders = false
  constructor(private readonly addresses: Array<string | undefined>) {}
  onSent(h: SentHook, o: { rateHeaders: boolean }) {
    this.hook = h
    this.rateHeaders = o.rateHeaders
  }
  observe(o: Observer) {
    this.observers.push(o)
  }
  addressOf(i: number) {
    return this.addresses[i]
  }
  get sourceCount() {
    return this.addresses.length
  }
}

const req = (over: Partial<Outgoing>): Outgoing => ({ method: 'POST', path: '/x', endpoint: 0, source: 0, user: 1, post: 2, ip: -1, token: 1, ...over })
const outcome = (over: Partial<Outcome>): Outcome => ({ status: 200, error: null, sentAt: 0, endedAt: 0, bytes: 0, body: undefined, ...over })

/** event builds one raw event row as a TapWriter lays it out. */
function sent(stamp: number, seq: number, user: number): number[] {
  return [1, stamp, seq, stamp, 0, 0, user, 7, -1, user]
}
function done(stamp: number, seq: number, status: number): number[] {
  return [2, stamp, seq, status, -1, stamp - 1, stamp, -1, -1, 0]
}
const batch = (asOf: number, ...rows: number[][]): TapBatch => ({ events: Float64Array.from(rows.flat()), asOf, addresses: [null] })

/** watch attaches a log of hook and observer calls to a replay. */
function watch(r: Replay) {
  const log: string[] = []
  r.onSent((q, at) => (log.push(`sent u${q.user} @${at}`), q.user * 10), { rateHeaders: false })
  r.observe((q, o, _i, _a, mark) => log.push(`done u${q.user} ${o.status} mark ${mark} @${o.endedAt}`))
  return log
}

describe('Replay', () => {
  it('plays two workers\' events in stamp order, however their batches interleave', () => {
    const r = new Replay(2)
    const log = watch(r)
    r.push(1, batch(25, sent(20, 0, 2), done(24, 0, 429)))
    // Worker 0 has said nothing yet: its events could come before 20, so nothing is played.
    expect(log).toEqual([])
    r.push(0, batch(30, sent(10, 0, 1), done(22, 0, 201), sent(28, 1, 3)))
    // Everything up to worker 1's asOf (25) is safe; the event at 28 waits for worker 1.
    expect(log).toEqual(['sent u1 @10', 'sent u2 @20', 'done u1 201 mark 10 @22', 'done u2 429 mark 20 @24'])
    r.push(1, batch(40))
    expect(log.at(-1)).toBe('sent u3 @28')
    r.push(0, batch(50, done(45, 1, 200)))
    // Worker 1 vouched only up to 40.
    expect(log).toHaveLength(5)
    r.end(1)
    expect(log.at(-1)).toBe('done u3 200 mark 30 @45')
  })

  it('plays everything once every worker has ended, and keys requests by worker and sequence', () => {
    const r = new Replay(2)
    const log = watch(r)
    r.push(0, batch(5, sent(1, 0, 1)))
    r.push(1, batch(5, sent(2, 0, 2)))
    r.push(1, batch(9, done(8, 0, 201)))
    r.push(0, batch(9, done(6, 0, 200)))
    r.end(0)
    r.end(1)
    expect(log).toEqual(['sent u1 @1', 'sent u2 @2', 'done u1 200 mark 10 @6', 'done u2 201 mark 20 @8'])
  })

  it('maps each worker\'s connection pools to one source per local address', () => {
    const r = new Replay(2)
    const sources: Array<string | undefined> = []
    r.onSent((q) => (sources.push(r.addressOf(q.source)), 0), { rateHeaders: false })
    r.push(0, { events: Float64Array.from([1, 1, 0, 1, 0, 1, 5, 7, -1, 5]), asOf: 2, addresses: [null, '127.0.0.3'] })
    r.push(1, { events: Float64Array.from([1, 2, 0, 2, 0, 2, 6, 7, -1, 6, 1, 3, 1, 3, 0, 0, 6, 7, -1, 6]), asOf: 4, addresses: [null, '127.0.0.2', '127.0.0.3'] })
    r.end(0)
    r.end(1)
    expect(sources).toEqual(['127.0.0.3', '127.0.0.3', undefined])
  })
})

describe('TapWriter → Replay', () => {
  it('carries each request\'s identity and outcome across, on the main timebase', () => {
    const sender = new FakeSender([undefined, '127.0.0.4'])
    const w = new TapWriter(sender as unknown as Sender, 1000)
    w.attach(true)
    expect(sender.rateHeaders).toBe(true)
    const a = req({ user: 4, token: 4, post: 9, source: 1, endpoint: 1 })
    const markA = sender.hook!(a, 5)
    const b = req({ user: 6, token: -1, ip: 2 })
    const markB = sender.hook!(b, 6)
    for (const o of sender.observers) o(a, outcome({ status: 429, sentAt: 5, endedAt: 7, retryAfter: 3, remaining: 0 }), 0, 0, markA)
    for (const o of sender.observers) o(b, outcome({ status: 0, error: 'reset', sentAt: 6, endedAt: 8 }), 0, 0, markB)
    // Never written: the oracle and the ledger skip it, so it is not carried.
    for (const o of sender.observers) o(b, outcome({ status: 0, error: 'refused' }), 0, 0, -1)
    const taken = w.take()
    expect(taken.events.length).toBe(40)
    expect(taken.addresses).toEqual([null, '127.0.0.4'])

    const r = new Replay(1)
    const seen: unknown[] = []
    r.onSent((q, at) => (seen.push(['sent', q.user, q.token, q.post, q.ip, q.endpoint, r.addressOf(q.source), at]), q.user), { rateHeaders: true })
    // What the oracle asked of the replay is what the workers' exchanges are told to do.
    expect(r.rateHeaders).toBe(true)
    r.observe((q, o, _i, _a, mark) => seen.push(['done', q.user, mark, o.status, o.error, o.sentAt, o.endedAt, o.retryAfter, o.remaining]))
    r.push(0, taken)
    r.end(0)
    expect(seen).toEqual([
      ['sent', 4, 4, 9, -1, 1, '127.0.0.4', 1005],
      ['sent', 6, -1, 2, 2, 0, undefined, 1006],
      ['done', 4, 4, 429, null, 1005, 1007, 3, 0],
      ['done', 6, 6, 0, 'reset', 1006, 1008, -1, -1],
    ])
  })
})
