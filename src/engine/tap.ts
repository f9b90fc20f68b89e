import type { Outgoing } from '../actors/types.js'
import { ERROR_INDEX, ERROR_KINDS } from '../transport/classify.js'
import type { Outcome } from '../transport/send.js'
import type { Observer, RequestStream, Sender, SentHook } from './sender.js'

/**
 * The rate-limit oracle and the integrity ledger across worker threads.
 *
 * Both watch every request of the run as the single-threaded Sender shows them: a SentHook
 * call as each request is written, in write order, and an Observer call as it ends. Per-IP
 * and global policies span every worker, so they cannot be judged inside one. Instead each
 * worker's TapWriter records those two calls as compact events (10 doubles each, no strings),
 * stamped with the time of the call on the main thread's timebase, and posts them about ten
 * times a second. The main thread's Replay merges the workers' streams by stamp and plays
 * them into the same oracle and ledger, in the order one thread would have seen them.
 *
 * A worker's stamps never go down, and it posts with each batch the time it was taken (asOf):
 * nothing it sends later can be stamped earlier. So the replay plays an event once every other
 * worker has either a later event queued or an asOf past it, and the merge is exact however
 * the batches interleave.
 */

const SENT = 1
const DONE = 2
/** WIDTH is the doubles per event. */
const WIDTH = 10
/** FLUSH_MS is how often a worker posts its events. */
export const FLUSH_MS = 100

/** TapBatch is one post of a worker's events. */
export interface TapBatch {
  events: Float64Array
  /** No later event of this worker is stamped before this (main timebase). */
  asOf: number
  /** The worker's local address per connection pool index (null: the default route). */
  addresses: Array<string | null>
}

/** TapWriter records a worker's SentHook and Observer calls as events (see the module comment). */
export class TapWriter {
  private buf = new Float64Array(WIDTH * 1024)
  private len = 0
  private seq = 0
  private last = -Infinity

  /** `shift` moves this thread's performance.now() onto the main thread's timebase. */
  constructor(
    private readonly sender: Sender,
    private readonly shift: number,
  ) {}

  /** attach puts the writer on the sender's path; `rateHeaders` asks every exchange to read the rate-limit headers. */
  attach(rateHeaders: boolean): void {
    this.sender.onSent(this.sent, { rateHeaders })
    this.sender.observe(this.done)
  }

  /** take returns what was recorded since the last take, and the time it was taken. */
  take(): TapBatch {
    const events = this.buf.slice(0, this.len)
    this.len = 0
    const addresses: Array<string | null> = []
    for (let i = 0; i < this.sender.sourceCount; i++) addresses.push(this.sender.addressOf(i) ?? null)
    return { events, asOf: this.stamp(performance.now()), addresses }
  }

  /** The sequence number of the request is its mark, so the DONE event names the SENT one. */
  private readonly sent: SentHook = (req, at) => {
    const seq = this.seq++
    const b = this.row()
    const i = this.len - WIDTH
    b[i] = SENT
    b[i + 1] = this.stamp(performance.now())
    b[i + 2] = seq
    b[i + 3] = at + this.shift
    b[i + 4] = req.endpoint
    b[i + 5] = req.source
    b[i + 6] = req.user
    b[i + 7] = req.post
    b[i + 8] = req.ip
    b[i + 9] = req.token
    return seq
  }

  private readonly done: Observer = (_req, r, _intendedMs, _actor, mark) => {
    if (mark < 0) return // never written: neither the oracle nor the ledger counts it
    const b = this.row()
    const i = this.len - WIDTH
    b[i] = DONE
    b[i + 1] = this.stamp(r.endedAt)
    b[i + 2] = mark
    b[i + 3] = r.status
    b[i + 4] = r.error === null ? -1 : ERROR_INDEX[r.error]
    b[i + 5] = r.sentAt + this.shift
    b[i + 6] = r.endedAt + this.shift
    b[i + 7] = r.retryAfter ?? -1
    b[i + 8] = r.remaining ?? -1
    b[i + 9] = 0
  }

  /** stamp puts a local time on the main timebase, never below the previous stamp. */
  private stamp(t: number): number {
    const s = t + this.shift
    if (s > this.last) this.last = s
    return this.last
  }

  /** row makes room for one more event and returns the buffer to write it in. */
  private row(): Float64Array {
    if (this.len + WIDTH > this.buf.length) {
      const grown = new Float64Array(this.buf.length * 2)
      grown.set(this.buf)
      this.buf = grown
    }
    this.len += WIDTH
    return this.buf
  }
}

/** Queue is one worker's events not yet played. */
interface Queue {
  chunks: Float64Array[]
  /** Offset of the next event in chunks[0]. */
  at: number
  asOf: number
  /** The worker's pool index → the replay's source index. */
  sources: number[]
}

/** Pending is a written request waiting for its DONE event. */
interface Pending {
  req: Outgoing
  mark: number
}

/** Replay merges the workers' events and plays them into a SentHook and observers, as one Sender would (see the module comment). */
export class Replay implements RequestStream {
  private readonly queues: Queue[]
  private readonly pending = new Map<number, Pending>()
  /** Local address per replay source index; 0 is the default route. */
  private readonly addresses: Array<string | undefined> = [undefined]
  private readonly sourceOf = new Map<string, number>()
  private readonly observers: Observer[] = []
  private hook: SentHook | null = null
  /** Whether the hook asked for the rate-limit headers: the workers' exchanges must then read them. */
  rateHeaders = false
  private readonly outcome: Outcome & { retryAfter: number; remaining: number } = {
    status: 0, error: null, sentAt: 0, endedAt: 0, bytes: 0, body: undefined, retryAfter: -1, remaining: -1,
  }

  constructor(private readonly workers: number) {
    this.queues = Array.from({ length: workers }, () => ({ chunks: [], at: 0, asOf: -Infinity, sources: [] }))
  }

  onSent(hook: SentHook, opts: { rateHeaders: boolean }): void {
    this.hook = hook
    this.rateHeaders = opts.rateHeaders
  }

  observe(o: Observer): void {
    this.observers.push(o)
  }

  addressOf(source: number): string | undefined {
    return this.addresses[source]
  }

  /** push queues worker `w`'s batch and plays every event that is now safe to play. */
  push(w: number, batch: TapBatch): void {
    const q = this.queues[w]!
    batch.addresses.forEach((address, i) => (q.sources[i] ??= this.source(address)))
    if (batch.events.length > 0) q.chunks.push(batch.events)
    if (batch.asOf > q.asOf) q.asOf = batch.asOf
    this.play()
  }

  /** end says worker `w` will send no more events; once every worker has ended, everything has been played. */
  end(w: number): void {
    this.queues[w]!.asOf = Infinity
    this.play()
  }

  /** play plays events in stamp order while the earliest queued one cannot be preceded by one still to come. */
  private play(): void {
    for (;;) {
      let best = -1
      let bestStamp = Infinity
      let horizon = Infinity
      for (let w = 0; w < this.workers; w++) {
        const q = this.queues[w]!
        if (q.chunks.length === 0) {
          if (q.asOf < horizon) horizon = q.asOf
          continue
        }
        const stamp = q.chunks[0]![q.at + 1]!
        if (stamp < bestStamp) [best, bestStamp] = [w, stamp]
      }
      if (best < 0 || bestStamp > horizon) return
      const q = this.queues[best]!
      const chunk = q.chunks[0]!
      this.playOne(best, q, chunk, q.at)
      q.at += WIDTH
      if (q.at >= chunk.length) {
        q.chunks.shift()
        q.at = 0
      }
    }
  }

  private playOne(w: number, q: Queue, e: Float64Array, i: number): void {
    const key = e[i + 2]! * this.workers + w
    if (e[i] === SENT) {
      // The identity is all the oracle and the ledger read; the request itself stayed in the worker.
      const req: Outgoing = {
        method: 'GET', path: '', endpoint: e[i + 4]!, source: q.sources[e[i + 5]!] ?? 0, user: e[i + 6]!, post: e[i + 7]!, ip: e[i + 8]!, token: e[i + 9]!,
      }
      this.pending.set(key, { req, mark: this.hook === null ? 0 : this.hook(req, e[i + 3]!) })
      return
    }
    const p = this.pending.get(key)
    if (p === undefined) return
    this.pending.delete(key)
    const r = this.outcome
    const error = e[i + 4]!
    r.status = e[i + 3]!
    r.error = error < 0 ? null : ERROR_KINDS[error]!
    r.sentAt = e[i + 5]!
    r.endedAt = e[i + 6]!
    r.retryAfter = e[i + 7]!
    r.remaining = e[i + 8]!
    for (const o of this.observers) o(p.req, r, 0, 0, p.mark)
  }

  /** source returns the replay's index for a local address (null: the default route). */
  private source(address: string | null): number {
    if (address === null) return 0
    let i = this.sourceOf.get(address)
    if (i === undefined) {
      i = this.addresses.length
      this.addresses.push(address)
      this.sourceOf.set(address, i)
    }
    return i
  }
}
