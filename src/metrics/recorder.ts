/**
 * The Recorder: accumulate, then finalise (STYLE rule 5).
 *
 * add() is O(1) and allocation-free: it indexes a slot (actor × endpoint) fixed at plan
 * time and writes into HDR histograms and fixed-size counters. Reporters never see raw
 * records; they get a snapshot() about once a second and one summary() at the end.
 *
 * Latency (DESIGN.md section 5), all recorded in integer microseconds:
 *   corrected   = endedAt − intended   (from the schedule: a stalled target cannot hide)
 *   uncorrected = endedAt − sentAt     (from the write: what a closed-loop tool reports)
 *   sendLag     = sentAt − intended    (how far the generator was behind)
 * Only complete responses have latencies; every finished request has a send lag.
 *
 * Classes: a transport error is an error by kind; a status in `throttleStatus` is
 * throttled (even a 503, when the plan says so); any other 5xx is an error; other 4xx are
 * rejected; the rest is ok. Requests that likebench aborted itself are kept by kind but
 * are not the target's errors.
 *
 * encode() gives a plain JSON object (histograms as compressed base64) and
 * Recorder.fromEncoded() / mergeEncoded() add such objects exactly: counters add,
 * histograms add, timelines add per second.
 */
import { ERROR_INDEX, type ErrorKind } from '../transport/classify.js'
import { encode, histogram, micros, stats, type Histogram } from './hdr.js'
import { ERROR, OK, THROTTLED, Timeline, UNCOUNTED, type EncodedTimeline, type TimelineRow } from './timeline.js'
import { MetricSlot, summarise, type Counts, type EncodedSlot, type LatencySummary } from './slot.js'

/** RequestRecord is what the recorder needs from one finished request (times in ms on the clock's timebase). */
export interface RequestRecord {
  /** From Recorder.slot(actor, endpoint), resolved at plan time. */
  slot: number
  intendedMs: number
  sentAt: number
  endedAt: number
  status: number
  error: ErrorKind | null
}

/** RecorderOptions fixes the recorder's shape: actors, endpoints, what counts as throttled, and t = 0. */
export interface RecorderOptions {
  actors: readonly string[]
  endpoints: readonly string[]
  throttleStatus: readonly number[]
  /** Clock time of the run's start: the timeline's t = 0. */
  startMs: number
}

/** ActorSnapshot is one actor's cumulative counts for live progress. */
export interface ActorSnapshot {
  name: string
  requests: number
  throttled: number
  errors: number
  dropped: number
}

/** Snapshot is live progress, taken about once a second. */
export interface Snapshot {
  /** Milliseconds since the run's start. */
  t: number
  intervalMs: number
  /** Requests finished per second over the interval. */
  rps: number
  /** Corrected p99 over the interval, in ms. */
  p99: number
  requests: number
  throttled: number
  errors: number
  dropped: number
  actors: ActorSnapshot[]
}

/** RecorderSummary is the final, rendered-once view; rates need the run's duration and are left to the caller. */
export interface RecorderSummary {
  totals: Counts
  latency: LatencySummary & { hdr: string }
  actors: Record<string, Counts & { latency: LatencySummary; endpoints: Record<string, Counts & { latency: LatencySummary }> }>
  timeline: TimelineRow[]
}

/** EncodedRecorder is a Recorder as plain JSON, for workers, segments and saved results. */
export interface EncodedRecorder {
  likebenchMetrics: 1
  throttleStatus: number[]
  actors: Record<string, { dropped: number; endpoints: Record<string, EncodedSlot> }>
  timeline: EncodedTimeline
}

/** Recorder accumulates every request of a run into histograms and counters. */
export class Recorder {
  readonly actors: readonly string[]
  readonly endpoints: readonly string[]
  readonly throttleStatus: readonly number[]
  private startMs: number
  private readonly slots: MetricSlot[]
  private readonly dropped: Float64Array
  private readonly throttle = new Uint8Array(600)
  private readonly timeline = new Timeline()
  private readonly interval: Histogram = histogram()
  private finished = 0
  private lastAt: number
  private lastFinished = 0

  constructor(o: RecorderOptions) {
    this.actors = [...o.actors]
    this.endpoints = [...o.endpoints]
    this.throttleStatus = [...o.throttleStatus]
    this.startMs = o.startMs
    this.lastAt = o.startMs
    this.slots = Array.from({ length: this.actors.length * this.endpoints.length }, () => new MetricSlot())
    this.dropped = new Float64Array(this.actors.length)
    for (const s of o.throttleStatus) if (s >= 0 && s < 600) this.throttle[s] = 1
  }

  /** start sets the run's t = 0 (the timeline's origin and the first snapshot's interval start); call it before the first add(). */
  start(t0: number): void {
    this.startMs = t0
    this.lastAt = t0
  }

  /** slot returns the index add() wants for an actor and endpoint; call it at plan time, not per request. */
  slot(actor: string, endpoint: string): number {
    const a = this.actors.indexOf(actor)
    const e = this.endpoints.indexOf(endpoint)
    if (a < 0 || e < 0) throw new RangeError(`no metrics slot for ${actor}/${endpoint}`)
    return a * this.endpoints.length + e
  }

  /** add records one finished request in O(1). */
  add(r: RequestRecord): void {
    const s = this.slots[r.slot]
    if (s === undefined) throw new RangeError(`no metrics slot ${r.slot}`)
    s.requests++
    s.sendLag.recordValue(micros(r.sentAt - r.intendedMs))
    this.finished++
    let kind = UNCOUNTED
    let lat = -1
    if (r.error !== null) {
      s.errors[ERROR_INDEX[r.error]]!++
      if (r.error !== 'aborted') kind = ERROR
    } else {
      const st = r.status
      s.status[st > 0 && st < 600 ? st : 0]!++
      lat = micros(r.endedAt - r.intendedMs)
      s.corrected.recordValue(lat)
      s.uncorrected.recordValue(micros(r.endedAt - r.sentAt))
      this.interval.recordValue(lat)
      if (this.throttle[st] === 1) kind = THROTTLED
      else if (st >= 500) kind = ERROR
      else if (st < 400) kind = OK
    }
    this.timeline.add(this.second(r.sentAt), this.second(r.endedAt), kind, lat)
  }

  /** drop counts an arrival of actor index `actor` that the dispatcher dropped at the in-flight cap. */
  drop(actor: number): void {
    this.dropped[actor]!++
  }

  /** snapshot reports progress since the last snapshot (rate, p99) and cumulative counts per actor. */
  snapshot(now: number): Snapshot {
    const intervalMs = now - this.lastAt
    const done = this.finished - this.lastFinished
    const actors = this.actors.map((name, a) => {
      const c = this.counts(this.actorSlots(a), this.dropped[a]!)
      return { name, requests: c.requests, throttled: c.throttled, errors: c.errors, dropped: c.dropped }
    })
    const snap: Snapshot = {
      t: now - this.startMs,
      intervalMs,
      rps: intervalMs > 0 ? (done * 1000) / intervalMs : 0,
      p99: this.interval.totalCount > 0 ? this.interval.getValueAtPercentile(99) / 1000 : 0,
      requests: this.finished,
      throttled: actors.reduce((n, a) => n + a.throttled, 0),
      errors: actors.reduce((n, a) => n + a.errors, 0),
      dropped: actors.reduce((n, a) => n + a.dropped, 0),
      actors,
    }
    this.interval.reset()
    this.lastAt = now
    this.lastFinished = this.finished
    return snap
  }

  /** summary computes the final counts, Stats and timeline (once, at the end: it merges histograms). */
  summary(): RecorderSummary {
    const all = this.slots.map((_, i) => i)
    const actors: RecorderSummary['actors'] = {}
    this.actors.forEach((name, a) => {
      const mine = this.actorSlots(a)
      const endpoints: Record<string, Counts & { latency: LatencySummary }> = {}
      mine.forEach((i, e) => {
        if (this.slots[i]!.requests > 0) endpoints[this.endpoints[e]!] = { ...this.counts([i], 0), latency: this.latency([i]).summary }
      })
      actors[name] = { ...this.counts(mine, this.dropped[a]!), latency: this.latency(mine).summary, endpoints }
    })
    const total = this.latency(all, true)
    return {
      totals: this.counts(all, this.dropped.reduce((n, d) => n + d, 0)),
      latency: { ...total.summary, hdr: total.hdr },
      actors,
      timeline: this.timeline.toRows(),
    }
  }

  /** encode returns the recorder's contents as a JSON-ready object that merges exactly. */
  encode(): EncodedRecorder {
    const actors: EncodedRecorder['actors'] = {}
    this.actors.forEach((name, a) => {
      const endpoints: Record<string, EncodedSlot> = {}
      this.actorSlots(a).forEach((i, e) => {
        const s = this.slots[i]!
        if (s.requests > 0) endpoints[this.endpoints[e]!] = s.encode()
      })
      actors[name] = { dropped: this.dropped[a]!, endpoints }
    })
    return { likebenchMetrics: 1, throttleStatus: [...this.throttleStatus], actors, timeline: this.timeline.encode() }
  }

  /** fromEncoded builds a recorder holding the exact sum of the encoded recorders given (actors and endpoints united by name). */
  static fromEncoded(...encoded: EncodedRecorder[]): Recorder {
    const actors = unite(encoded.map((e) => Object.keys(e.actors)))
    const endpoints = unite(encoded.flatMap((e) => Object.values(e.actors).map((a) => Object.keys(a.endpoints))))
    const throttleStatus = unite(encoded.map((e) => e.throttleStatus))
    const r = new Recorder({ actors, endpoints, throttleStatus, startMs: 0 })
    for (const e of encoded) r.addEncoded(e)
    return r
  }

  /** addEncoded adds an encoded recorder into this one; its actors and endpoints must be known here. */
  addEncoded(e: EncodedRecorder): void {
    for (const [name, actor] of Object.entries(e.actors)) {
      const a = this.actors.indexOf(name)
      if (a < 0) throw new RangeError(`cannot merge unknown actor ${name}`)
      this.dropped[a]! += actor.dropped
      for (const [ep, slot] of Object.entries(actor.endpoints)) this.slots[this.slot(name, ep)]!.addEncoded(slot)
    }
    this.timeline.addEncoded(e.timeline)
  }

  /** destroy frees the WASM memory of every histogram; the recorder is unusable afterwards. */
  destroy(): void {
    for (const s of this.slots) s.destroy()
    this.interval.destroy()
    this.timeline.destroy()
  }

  private second(t: number): number {
    const s = Math.floor((t - this.startMs) / 1000)
    return s > 0 ? s : 0
  }

  /** actorSlots lists actor a's slot indices, one per endpoint, in endpoint order. */
  private actorSlots(a: number): number[] {
    return this.endpoints.map((_, e) => a * this.endpoints.length + e)
  }

  private counts(slots: number[], dropped: number): Counts {
    return summarise(slots.map((i) => this.slots[i]!), this.throttle, dropped)
  }

  /** latency merges the slots' histograms into temporary ones, reads their Stats and frees them. */
  private latency(slots: number[], withHdr = false): { summary: LatencySummary; hdr: string } {
    const hs = { corrected: histogram(), uncorrected: histogram(), sendLag: histogram() }
    try {
      for (const i of slots) {
        const s = this.slots[i]!
        hs.corrected.add(s.corrected)
        hs.uncorrected.add(s.uncorrected)
        hs.sendLag.add(s.sendLag)
      }
      const summary = { corrected: stats(hs.corrected), uncorrected: stats(hs.uncorrected), sendLag: stats(hs.sendLag) }
      return { summary, hdr: withHdr ? encode(hs.corrected) : '' }
    } finally {
      for (const h of Object.values(hs)) h.destroy()
    }
  }
}

/** unite returns the distinct items of several lists, in first-seen order. */
function unite<T>(lists: T[][]): T[] {
  return [...new Set(lists.flat())]
}

/** mergeEncoded adds two encoded recorders exactly (counters, histograms and timelines). */
export function mergeEncoded(a: EncodedRecorder, b: EncodedRecorder): EncodedRecorder {
  const r = Recorder.fromEncoded(a, b)
  try {
    return r.encode()
  } finally {
    r.destroy()
  }
}
