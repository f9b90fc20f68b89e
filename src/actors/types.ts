import type { Fire } from '../engine/dispatch.js'
import type { PostPicker } from '../identities/posts.js'
import type { Users } from '../identities/users.js'
import type { Finding } from '../result.js'
import type { ActorPlan, Plan } from '../scenarios/types.js'
import type { Outcome, SendRequest } from '../transport/send.js'
import type { Population } from './population.js'
import type { Templates } from './requests.js'

/**
 * The contract between the engine and the traffic kinds. The engine owns the schedule, the
 * transport and the metrics; an actor decides *what* each arrival sends (which user, post,
 * endpoint, headers) and what the answers mean for its defense verdict (its findings).
 */

/** Endpoint indexes an operation in metrics and verdicts. */
export const Endpoint = { like: 0, unlike: 1, read: 2, login: 3, other: 4 } as const
/** ENDPOINT_NAMES maps an Endpoint index back to its name. */
export const ENDPOINT_NAMES = ['like', 'unlike', 'read', 'login', 'other'] as const

/** Outgoing is one request with the identity it carries, for the rate-limit oracle and the integrity ledger. */
export interface Outgoing extends SendRequest {
  endpoint: number
  /** Index of the connection pool (source address) to send from; 0 is the default pool. */
  source: number
  /** User index, or -1 when the request carries no valid user. */
  user: number
  /** Post id, or 0 when the request is not about one post. */
  post: number
  /** Logical client address for per-IP policies: -1 is the generator's own address, else the actor's address index. */
  ip: number
  /** Token identity for per-token policies (the user index of a valid token), or -1. */
  token: number
}

/** Sent is how one request ended, as an actor sees it. */
export type Sent = Outcome

/** ActorContext is what the engine gives an actor. */
export interface ActorContext {
  readonly plan: Plan
  readonly actor: ActorPlan
  /** Position of the actor in plan.actors (its metrics slot). */
  readonly index: number
  readonly users: Users
  /** The users this actor acts as (see population.ts): pick identities in population.first .. first + count − 1. */
  readonly population: Population
  readonly pickPost: PostPicker
  readonly templates: Templates
  /** Key for counter-based randomness of this actor (rng.randomAt(key, n)). */
  readonly rngKey: number
  /**
   * send sends one request whose schedule time is `intendedMs`, records it, and calls `cb`
   * once it ended. A request counts for latency from `intendedMs`, so a copy sent after
   * another answered should pass its own send time.
   */
  send(req: Outgoing, intendedMs: number, cb: (r: Sent) => void): void
  /**
   * race sends `reqs` as one last-byte-synchronised burst over raw keep-alive sockets (one
   * connection per request, all from the source of `reqs[0]`) and calls `cb(i, r)` once per
   * request. Each is recorded like any other request, with its release (the write of its final
   * byte) as its intended time: connecting, pre-sending and settling are the technique, not lag.
   */
  race(reqs: readonly Outgoing[], cb: (i: number, r: Sent) => void): void
  /** source returns the pool index for connections bound to a local address (e.g. 127.0.0.3), for `Outgoing.source`. */
  source(localAddress: string): number
  /** now is the engine clock's time, on the timebase of `intendedMs`. */
  now(): number
}

/** Actor is a running traffic kind. */
export interface Actor {
  /** fire sends arrival n (one request, or several for a duplicate) and calls done once all ended. */
  readonly fire: Fire
  /** identity returns the identity key of arrival n (the user or account it acts as), for splitting work. */
  identity(n: number): number
  /**
   * posts returns the posts arrival n likes or unlikes (none for a read), pure like fire's
   * choices, so the integrity check can read their counts before the run. Without it the
   * check reads every post.
   */
  posts?(n: number): readonly number[]
  /** afterRun runs once after the drain and before findings(), for evidence the target holds (e.g. arrival times). */
  afterRun?(after: AfterRun): Promise<void>
  /** findings returns the actor's defense verdicts once the run is over. */
  findings(): Finding[]
  /**
   * state returns what findings() are made from, as plain data a worker thread can post
   * (structured clone), after afterRun; `shift` moves its times onto the receiving thread's
   * timebase. absorb adds such a state of the same actor from another worker into this one:
   * workers own disjoint identities, so counts add and per-identity entries never collide.
   */
  state(shift: number): ActorState
  absorb(s: ActorState): void
}

/** ActorState is an actor's finding state in transit between threads (see Actor.state). */
export type ActorState = Record<string, unknown>

/** TargetArrivals are the built-in target's stamps of this run, on the timebase of `Sent.sentAt`. */
export interface TargetArrivals {
  /** When the target saw each request (its headers complete), sorted. */
  times: Float64Array
  /** Per `x-likebench-group` value: how many stamps, the first and the last. */
  groups: Map<string, { count: number; first: number; last: number }>
}

/** AfterRun is what the engine offers an actor once sending is over. */
export interface AfterRun {
  /**
   * arrivals returns the target's stamps of this run; null unless the built-in target recorded
   * them (RunOptions.debugArrivals). Fetched once per run and shared by every actor.
   */
  arrivals(): Promise<TargetArrivals | null>
}

/** ActorFactory builds an actor from its context. */
export type ActorFactory = (ctx: ActorContext) => Actor
