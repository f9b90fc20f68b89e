import type { Pool } from 'undici'
import type { Outgoing, Sent } from '../actors/types.js'
import { histogram, micros, stats, type Histogram, type Stats } from '../metrics/hdr.js'
import type { Recorder, RequestRecord } from '../metrics/recorder.js'
import { createPool } from '../transport/pool.js'
import { Exchange } from '../transport/send.js'

/**
 * The engine's send path: Outgoing request in, recorded Outcome out. Exchanges come from a
 * free list and one record object is reused, so a request costs the undici dispatch and two
 * histogram writes, not a promise, a closure or a fresh record. Observers (the rate-limit
 * oracle, the integrity ledger) see each request with its outcome before the actor does.
 */

/** Observer is told about every finished request, with the identity it carried. */
export type Observer = (req: Outgoing, r: Sent, intendedMs: number, actor: number) => void

/** SendCallback receives the outcome; it runs synchronously and must copy what it keeps. */
export type SendCallback = (r: Sent) => void

class Tracked extends Exchange {
  slot = 0
  actor = 0
  intendedMs = 0
  req: Outgoing | null = null
  cb: SendCallback | null = null
}

/** Sender sends requests through per-source pools and records every outcome. */
export class Sender {
  private readonly pools: Pool[] = []
  private readonly sources = new Map<string, number>()
  private readonly free: Tracked[] = []
  private readonly record: RequestRecord = { slot: 0, intendedMs: 0, sentAt: 0, endedAt: 0, status: 0, error: null }
  private readonly observers: Observer[] = []
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

  /** observe registers an observer of every finished request. */
  observe(o: Observer): void {
    this.observers.push(o)
  }

  /** source returns the pool index for connections bound to `localAddress`, creating the pool once. */
  source(localAddress: string): number {
    let i = this.sources.get(localAddress)
    if (i === undefined) {
      i = this.pools.length
      this.pools.push(createPool(this.origin, { connections: this.connections, timeoutMs: this.timeoutMs, localAddress }))
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
    this.inFlight++
    this.dispatchLag.recordValue(micros(performance.now() - intendedMs))
    x.start(this.pools[req.source]!, req)
  }

  /** dispatchLagStats summarises how late requests were handed to the transport (dispatcher lateness only). */
  dispatchLagStats(): Stats {
    return stats(this.dispatchLag)
  }

  private readonly finish = (e: Exchange): void => {
    const x = e as Tracked
    this.inFlight--
    const rec = this.record
    rec.slot = x.slot
    rec.intendedMs = x.intendedMs
    rec.sentAt = x.sentAt
    rec.endedAt = x.endedAt
    rec.status = x.status
    rec.error = x.error
    this.recorder.add(rec)
    const req = x.req!
    for (const o of this.observers) o(req, x, x.intendedMs, x.actor)
    const cb = x.cb!
    x.req = null
    x.cb = null
    cb(x)
    if (!this.closed) this.free.push(x)
  }

  /** close ends every pool (once); requests still out fail as aborted and are recorded as such. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.pools.map((p) => p.destroy().catch(() => undefined)))
  }

  /** destroy frees the sender's histogram (after close). */
  destroy(): void {
    this.dispatchLag.destroy()
  }
}
