import { describe, expect, it } from 'vitest'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

const junk = (target: string) => `name: junk
${target}
users: { count: 1000 }
posts: { count: 20 }
actors:
  junk: { kind: malformed, rate: { hold: 60/s, for: 1s } }
`

describe('malformed against the built-in target', () => {
  it('holds on the sound target: 400 for bad ids and JSON, 413 for the oversized body', async () => {
    const f = findingOf(await runYaml(junk(builtinTarget())), 'junk')
    expect(f.ok, f.message).toBe(true)
    expect(f.evidence).toMatchObject({ sent: 60, crashed: 0, accepted: 0, failed: 0 })
    expect(f.evidence.held as number).toBeGreaterThanOrEqual(58) // a user shared with no one: at most a stray 429
  })

  it('fires with crash-on-bad-id, naming the inputs that crashed it', async () => {
    const f = findingOf(await runYaml(junk(builtinTarget(['crash-on-bad-id']))), 'junk')
    expect(f.ok).toBe(false)
    expect(f.evidence).toMatchObject({ crashed: 40, accepted: 0 })
    const v = f.evidence.variants as Record<string, { crashed: number; held: number }>
    for (const name of ['bad-id', 'huge-id', 'traversal', 'injection']) expect(v[name]!.crashed).toBe(10)
    for (const name of ['bad-json', 'oversized']) expect(v[name]!.crashed).toBe(0)
    expect(f.evidence.inputs).toMatchObject({ 'bad-id abc → 500': 2, 'traversal ..%2F..%2Fetc%2Fpasswd → 500': 4, 'huge-id 999999999999…(10000 chars) → 500': 5 })
    expect(f.message).toMatch(/^40 inputs crashed the server \(5xx\) of 60 bad inputs/)
  })
})
