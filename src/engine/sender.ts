import type { Pool } from 'undici'
import type { Outgoing, Sent } from '../actors/types.js'
import { encode, histogram, micros, stats, type Histogram, type Stats } from '../metrics/hdr.js'
import type { Recorder, RequestRecord } from '../metrics/recorder.js'
import { createPool } from '../transport/pool.js'
import { RaceClient } from '../transport/race.js'
import { Exchange, type Outcome } from '../transport/send.js'

/**
 * The engine's send path: Outgoing request in, recorded Outcome out. Exchanges come from a
 * free list and one record object is reused, so a request costs the undici dispatch and two
 * histogram writes, not a promise, a closure or a fresh record. Observers (the rate-limit
 * oracle, the integrity ledger) see each request with its outcome before the actor does.
 */

/**
 * Observer is told about every finished request, with the identity it carried. `mark` is what
 * the SentHook returned when the request was written (0 without a hook), or −1 when it was
 * never written to a connection, so the target cannot have seen it.
 */
export type Observer = (req: Outgoing, r: Sent, intendedMs: number, actor: number, mark: number) => void

/**
 * SentHook is told about each request as it is written, in the order of the writes (which is
 * the order of `sentAt`), before its outcome is known; what it returns comes back to the
 * observers as `mark`. The rate-limit oracle decides its reference verdict here.
 */
export type SentHook = (req: Outgoing, sentAt: number) => number

/** RequestStream is what watches every request: the Sender itself, or the replay of the workers' requests (tap.ts). */
export interface RequestStream {
  /** onSent registers the hook that sees each request as it is written; `rateHeaders` asks every exchange to read Retry-After and RateLimit-Remaining. */
  onSent(hook: SentHook, opts: { rateHeaders: boolean }): void
  /** observe registers an observer of every finished request. */
  observe(o: Observer): void
  /** addressOf returns the local address of source `source`, or undefined for the default route. */
  addressOf(source: number): string | undefined
}

/** SendCallback receives the outcome; it runs synchronously and must copy what it keeps. */
export type SendCallback = (r: Sent) => void

/** RaceSendCallback receives the outcome of request i of a race burst. */
export type RaceSendCallback = (i: number, r: Sent) => void

class Tracked extends Exchange {
  slot = 0
  actor = 0
  intendedMs = 0
  req: Outgoing | null = null
  cb: SendCallback | null = null
  hook: SentHook | null = null
  mark = -1

  /** The request is being written: the SentHook sees it now, in write order. */
  override onConnect(): void {
    super.onConnect()
    this.mark = this.hook === null ? 0 : this.hook(this.req!, this.sentAt)
  }
}

/** Sender sends requests through per-source pools and records every outcome. */
export class Sender implements RequestStream {
  private readonly pools: Pool[] = []
  /** Local address of each pool (undefined: the default route), for race connections from the same source. */
  private readonly addresses: Array<string | undefined> = [undefined]
  private readonly races: Array<RaceClient | undefined> = []
  private readonly sources = new Map<string, number>()
  private readonly free: Tracked[] = []
  private readonly record: RequestRecord = { slot: 0, intendedMs: 0, sentAt: 0, endedAt: 0, status: 0, error: null }
  private readonly observers: Observer[] = []
  private sentHook: SentHook | null = null
  private rateHeaders = false
  private closed = false
  /** How late each request was handed to the transport (µs): the generator's own lateness, without pool waits. */
  private readonly dispatchLag: Histogram = histogram()
  /** Requests handed to a pool and not yet finished. */
  inFlight = 0

  constructor(
    private readonly origin: string,
    private readonly connections: number,
    private readonly timeoutMs: number,
    private readonly recorder: Recorder,
  ) {
    this.pools.push(createPool(origin, { connections, timeoutMs }))
  }

  /** pool returns the connection pool at `index` (0 is the default route), e.g. to warm it up before the run. */
  pool(index = 0): Pool {
    return this.pools[index]!
  }

  /** observe registers an observer of every finished request. */
  observe(o: Observer): void {
    this.observers.push(o)
  }

  /** onSent registers the hook that sees each request as it is written; `rateHeaders` asks every exchange to read Retry-After and RateLimit-Remaining. */
  onSent(hook: SentHook, opts: { rateHeaders: boolean }): void {
    this.sentHook = hook
    this.rateHeaders = opts.rateHeaders
  }

  /** addressOf returns the local address pool `source` binds, or undefined for the default route. */
  addressOf(source: number): string | undefined {
    return this.addresses[source]
  }

  /** source returns the pool index for connections bound to `localAddress`, creating the pool once. */
  source(localAddress: string): number {
    let i = this.sources.get(localAddress)
    if (i === undefined) {
      i = this.pools.length
      this.pools.push(createPool(this.origin, { connections: this.connections, timeoutMs: this.timeoutMs, localAddress }))
      this.addresses.push(localAddress)
      this.sources.set(localAddress, i)
    }
    return i
  }

  /** send dispatches `req` for metrics slot `slot`; `cb` runs once with the outcome. */
  send(req: Outgoing, slot: number, actor: number, intendedMs: number, cb: SendCallback): void {
    const x = this.free.pop() ?? new Tracked(this.finish)
    x.slot = slot
    x.actor = actor
    x.intendedMs = intendedMs
    x.req = req
    x.cb = cb
    x.hook = this.sentHook
    x.mark = -1
    x.readRateHeaders = this.rateHeaders
    this.inFlight++
    this.dispatchLag.recordValue(micros(performance.now() - intendedMs))
    x.start(this.pools[req.source]!, req)
  }

  /** sourceCount is the number of connection pools (source addresses), the default one included. */
  get sourceCount(): number {
    return this.pools.length
  }

  /** encodeDispatchLag returns the dispatch-lag histogram, encoded to merge exactly with other workers'. */
  encodeDispatchLag(): string {
    return encode(this.dispatchLag)
  }

  /** dispatchLagStats summarises how late requests were handed to the transport (dispatcher lateness only). */
  dispatchLagStats(): Stats {
    return stats(this.dispatchLag)
  }

  /**
   * sendRace sends `reqs` as one last-byte-synchronised burst over raw sockets from the source
   * of `reqs[0]` (transport/race.ts); each outcome is recorded in `slots[req.endpoint]` and
   * observed like any other, with its release as its intended time, then passed to `cb`.
   */
  sendRace(reqs: readonly Outgoing[], slots: readonly number[], actor: number, cb: RaceSendCallback): void {
    if (reqs.length === 0) return
    const source = reqs[0]!.source
    const address = this.addresses[source]
    const client = (this.races[source] ??= new RaceClient(this.origin, { timeoutMs: this.timeoutMs, ...(address === undefined ? {} : { localAddress: address }) }))
    this.inFlight += reqs.length
    client.burst(reqs, (i, r) => {
      this.inFlight--
      const req = reqs[i]!
      // Race outcomes arrive after the burst; a refused connection never carried the request.
      const mark = r.error === 'refused' || r.error === 'fd_exhausted' ? -1 : this.sentHook === null ? 0 : this.sentHook(req, r.sentAt)
      this.deliver(req, r, slots[req.endpoint]!, actor, r.sentAt, mark)
      cb(i, r)
    })
  }

  /** deliver records one outcome and shows it to the observers. */
  private deliver(req: Outgoing, r: Outcome, slot: number, actor: number, intendedMs: number, mark: number): void {
    const rec = this.record
    rec.slot = slot
    rec.intendedMs = intendedMs
    rec.sentAt = r.sentAt
    rec.endedAt = r.endedAt
    rec.status = r.status
    rec.error = r.error
    this.recorder.add(rec)
    for (const o of this.observers) o(req, r, intendedMs, actor, mark)
  }

  private readonly finish = (e: Exchange): void => {
    const x = e as Tracked
    this.inFlight--
    this.deliver(x.req!, x, x.slot, x.actor, x.intendedMs, x.mark)
    const cb = x.cb!
    x.req = null
    x.cb = null
    x.hook = null
    cb(x)
    if (!this.closed) this.free.push(x)
  }

  /** close ends every pool (once); requests still out fail as aborted and are recorded as such. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.races.map((r) => r?.close()))
    await Promise.all(this.pools.map((p) => p.destroy().catch(() => undefined)))
  }

  /** destroy frees the sender's histogram (after close). */
  destroy(): void {
    this.dispatchLag.destroy()
  }
}
