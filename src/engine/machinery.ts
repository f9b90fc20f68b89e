import { ACTORS } from '../actors/index.js'
import { populations } from '../actors/population.js'
import { Templates } from '../actors/requests.js'
import { ENDPOINT_NAMES, type Actor, type ActorContext } from '../actors/types.js'
import { postPicker } from '../identities/posts.js'
import { generatedUsers, loadCsvUsers, type Users } from '../identities/users.js'
import { Recorder } from '../metrics/recorder.js'
import { hashString, streamKey } from '../rng.js'
import type { ActorPlan, Plan } from '../scenarios/types.js'
import { actorSchedule } from './arrival.js'
import type { Clock } from './clock.js'
import { InFlight, runClosed, runOpen, type DispatchResult } from './dispatch.js'
import { Sender } from './sender.js'
import { apportion, capShare, nextOwned, owns, shares } from './split.js'

/**
 * A run's sending machinery, shared by the single-threaded runner (runner.ts) and each worker
 * thread (worker.ts): identities, templates, the sender and the recorder, one actor per plan
 * entry, each actor's dispatch, and the bounded drain.
 */

/** Running is a run's machinery, built once the identities are loaded; the recorder starts at t = 0, after the warm-up. */
export interface Running {
  recorder: Recorder
  sender: Sender
  templates: Templates
  actors: Actor[]
}

/** Part says which share of a run this machinery sends: worker `part` of `workers`. */
export interface Part {
  part: number
  workers: number
}

/** prepare builds the machinery; `connections` is this part's share of the target's connections. */
export function prepare(plan: Plan, users: Users, runId: string, url: string, clock: Clock, connections = plan.target.connections): Running {
  const recorder = newRecorder(plan, clock.now())
  const sender = new Sender(url, connections, plan.target.timeoutMs, recorder)
  const templates = new Templates(plan.api, users, runId)
  return { recorder, sender, templates, actors: makeActors(plan, users, templates, recorder, sender, clock) }
}

/** newRecorder makes a recorder shaped for the plan: its actors by endpoint. */
export function newRecorder(plan: Plan, startMs: number): Recorder {
  return new Recorder({ actors: plan.actors.map((a) => a.name), endpoints: ENDPOINT_NAMES, throttleStatus: plan.throttleStatus, startMs })
}

/** loadUsers loads the plan's users: the CSV file, or generated ones signed with the scenario's (else the target's) secret. */
export async function loadUsers(plan: Plan, secret: string): Promise<Users> {
  if (plan.users.kind === 'file') return loadCsvUsers(plan.users.file)
  return generatedUsers(plan.users.count, plan.users.secret ?? (secret || 'likebench'))
}

/** Sends is what actors send through: the Sender, or nothing at all for actors that only answer questions (inertSends). */
export type Sends = Pick<Sender, 'send' | 'sendRace' | 'source'>

/** inertSends is for actors built to answer questions (identities, posts, findings) in a thread that never sends. */
export const inertSends: Sends = {
  send: () => { throw new Error('this actor does not send: it was built for its identities and findings') },
  sendRace: () => { throw new Error('this actor does not send: it was built for its identities and findings') },
  source: () => 0,
}

/** makeActors builds one actor per plan entry, each sending through `sends` into its own metric slots. */
export function makeActors(plan: Plan, users: Users, templates: Templates, recorder: Recorder, sends: Sends, clock: Clock): Actor[] {
  const pickPost = postPicker(plan.posts)
  const slices = populations(plan)
  return plan.actors.map((actor, index) => {
    const slots = ENDPOINT_NAMES.map((ep) => recorder.slot(actor.name, ep))
    const ctx: ActorContext = {
      plan, actor, index, users, population: slices[index]!, pickPost, templates,
      rngKey: streamKey(plan.seed, hashString(actor.name)),
      send: (req, intendedMs, cb) => sends.send(req, slots[req.endpoint]!, index, intendedMs, cb),
      race: (reqs, cb) => sends.sendRace(reqs, slots, index, cb),
      source: (address) => sends.source(address),
      now: () => clock.now(),
    }
    return ACTORS[actor.kind](ctx)
  })
}

/**
 * dispatch starts actor `index`'s schedule at `t0`. With a part, it sends only the arrivals
 * whose identity the part owns, with its share of the in-flight cap (open model) or of the
 * virtual users (closed model).
 */
export function dispatch(plan: Plan, index: number, actor: Actor, t0: number, clock: Clock, signal: AbortSignal, recorder: Recorder, part?: Part): Promise<DispatchResult> {
  const a: ActorPlan = plan.actors[index]!
  const split = part !== undefined && part.workers > 1 ? part : undefined
  const weights = split ? shares(actor.identity, split.workers) : []
  const mine = split ? owns(actor.identity, split.part, split.workers) : undefined
  if (a.model === 'closed') {
    const concurrency = split ? apportion(a.concurrency!, weights)[split.part]! : a.concurrency!
    if (concurrency === 0) return Promise.resolve(idle())
    return runClosed({
      concurrency, durationMs: a.durationMs, fire: actor.fire, signal, clock, startMs: t0 + a.startMs,
      ...(mine ? { nextIndex: nextOwned(mine) } : {}),
    })
  }
  const maxInFlight = split ? capShare(a.maxInFlight, weights, split.part) : a.maxInFlight
  if (maxInFlight === 0) return Promise.resolve(idle())
  return runOpen({
    cursor: actorSchedule(plan.seed, a).cursor(), clock, startMs: t0 + a.startMs, fire: actor.fire, maxInFlight, signal,
    onDrop: () => recorder.drop(index), ...(mine ? { owns: mine } : {}),
  })
}

/** idle is the dispatch of a part that owns none of an actor. */
function idle(): DispatchResult {
  return { sent: 0, dropped: 0, aborted: false, inFlight: new InFlight(0) }
}

/** ABORT_DRAIN_MS bounds how long an aborted run waits for requests still in flight. */
const ABORT_DRAIN_MS = 2000

/**
 * drain waits for requests still in flight; the pools' close then aborts whatever is left, and
 * those requests are still recorded (as aborted). A request queued behind a full pool can take
 * two timeouts, so a finished schedule waits that long plus a second; an aborted one 2 s.
 */
export async function drain(dispatched: DispatchResult[], plan: Plan, aborted: boolean): Promise<void> {
  const ms = aborted ? ABORT_DRAIN_MS : 2 * plan.target.timeoutMs + 1000
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  await Promise.race([Promise.all(dispatched.map((d) => d.inFlight.idle())), timeout])
  clearTimeout(timer)
}
