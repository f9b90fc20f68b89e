import type { ActorContext, Outgoing, Sent } from '../../src/actors/types.js'
import { populations } from '../../src/actors/population.js'
import { Templates } from '../../src/actors/requests.js'
import { generatedUsers } from '../../src/identities/users.js'
import { postPicker } from '../../src/identities/posts.js'
import { streamKey, hashString } from '../../src/rng.js'
import { checkScenarioText } from '../../src/scenarios/loader.js'

/** fakeActorContext compiles a scenario and returns a context whose send() records requests and answers `answer`. */
export function fakeActorContext(yaml: string, actorIndex = 0, answer: (req: Outgoing) => Partial<Sent> = () => ({ status: 200 })) {
  const r = checkScenarioText(yaml, 'test.yaml', {})
  if (!r.plan) throw new Error(r.problems.map((p) => `${p.path} ${p.message}`).join('\n'))
  const plan = r.plan
  const actor = plan.actors[actorIndex]!
  const users = generatedUsers(plan.users.count, 'secret')
  const sent: Array<{ req: Outgoing; intendedMs: number }> = []
  /** Each race burst, as the indexes into `sent` of its requests. */
  const races: number[][] = []
  let now = 0
  const sources: string[] = []
  const ctx: ActorContext = {
    plan, actor, index: actorIndex, users, population: populations(plan)[actorIndex]!,
    pickPost: postPicker(plan.posts),
    templates: new Templates(plan.api, users, 'run-1'),
    rngKey: streamKey(plan.seed, hashString(actor.name)),
    send(req, intendedMs, cb) {
      sent.push({ req, intendedMs })
      cb({ status: 200, error: null, sentAt: now, endedAt: now, bytes: 0, body: undefined, ...answer(req) })
    },
    race(reqs, cb) {
      const burst: number[] = []
      reqs.forEach((req) => burst.push(sent.push({ req, intendedMs: now }) - 1))
      races.push(burst)
      reqs.forEach((req, i) => cb(i, { status: 200, error: null, sentAt: now, endedAt: now, bytes: 0, body: undefined, ...answer(req) }))
    },
    source: (address) => {
      const i = sources.indexOf(address)
      return i >= 0 ? i + 1 : sources.push(address)
    },
    now: () => now,
  }
  return { ctx, sent, races, plan, users, sources, advance: (ms: number) => (now += ms) }
}
