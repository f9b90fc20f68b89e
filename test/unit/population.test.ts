import { describe, expect, it } from 'vitest'
import { populations } from '../../src/actors/population.js'
import { checkScenarioText } from '../../src/scenarios/loader.js'

const plan = (users: number, actors: string) => {
  const r = checkScenarioText(`users: { count: ${users} }\nactors:\n${actors}`, 't.yaml', {})
  if (!r.plan) throw new Error(JSON.stringify(r.problems))
  return r.plan
}
const RATE = 'rate: { hold: 1/s, for: 1s }'

describe('populations', () => {
  it("sets a flood's accounts apart from the ordinary users, from the top of the population", () => {
    const p = plan(1000, `  o: { kind: organic, ${RATE} }\n  farm: { kind: flood, accounts: 100, ${RATE} }\n  s: { kind: spoof, accounts: 50, ${RATE} }\n  t: { kind: toggle, users: 10, ${RATE} }\n  d: { kind: duplicate, ${RATE} }\n`)
    expect(populations(p)).toEqual([
      { first: 0, count: 840 },
      { first: 900, count: 100 },
      { first: 850, count: 50 },
      { first: 840, count: 10 },
      { first: 0, count: 840 },
    ])
  })

  it('shares every user when the slices would leave less than half for the others', () => {
    const p = plan(100, `  o: { kind: organic, ${RATE} }\n  farm: { kind: flood, accounts: 60, ${RATE} }\n`)
    expect(populations(p)).toEqual([{ first: 0, count: 100 }, { first: 0, count: 100 }])
  })

  it('shares every user when no actor declares its own', () => {
    expect(populations(plan(10, `  o: { kind: organic, ${RATE} }\n`))).toEqual([{ first: 0, count: 10 }])
  })
})
