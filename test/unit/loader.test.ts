import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse as parseYaml } from 'yaml'
import { describe, expect, it } from 'vitest'
import { checkScenarioText, loadScenario } from '../../src/scenarios/loader.js'
import { scenarioJsonSchema } from '../../src/scenarios/schema.js'
import { ScenarioError } from '../../src/errors.js'

const ok = (text: string, env: NodeJS.ProcessEnv = {}) => {
  const r = checkScenarioText(text, 'test.yaml', env)
  expect(r.problems).toEqual([])
  return r.plan!
}
const ACTOR = 'actors:\n  a: { kind: organic, rate: { hold: 10/s, for: 1s } }\n'

describe('defaults', () => {
  it('fit the built-in target', () => {
    const plan = ok(ACTOR)
    expect(plan.target).toEqual({ url: 'builtin', builtin: { flaws: [], rateLimits: [] }, connections: 64, timeoutMs: 5000, warmupMs: 1000, allow: [], localAddresses: [] })
    expect(plan.api.like).toEqual({ method: 'POST', path: '/v1/posts/{post}/likes' })
    expect(plan.api.read).toEqual({ method: 'GET', path: '/v1/posts/{post}', count: 'likes' })
    expect(plan.api.headers).toEqual({ authorization: 'Bearer {user.token}' })
    expect(plan.users).toEqual({ kind: 'generated', count: 1000 })
    expect(plan.posts).toEqual({ count: 100, pick: { kind: 'zipf', s: 1.1 } })
    expect(plan.seed).toBe(1)
    expect(plan.name).toBe('test')
    expect(plan.throttleStatus).toEqual([429])
    expect(plan.integrity).toEqual({ read: 'after', settleMs: 500 })
    expect(plan.actors[0]).toMatchObject({ model: 'open', arrivals: 'uniform', maxInFlight: 10_000, startMs: 0, options: { kind: 'organic', unlikeRatio: 0.1, readRatio: 0 } })
  })

  it('merge a partial endpoint over the default', () => {
    const plan = ok(`api: { like: { path: "/api/like/{post}" } }\n${ACTOR}`)
    expect(plan.api.like).toEqual({ method: 'POST', path: '/api/like/{post}' })
  })
})

describe('stages compile to the engine’s units', () => {
  it.each([
    ['{ hold: 10/s, for: 1s }', [{ kind: 'hold', rate: 10, durationMs: 1000 }], 10, 10],
    ['[ { ramp: 0..300/s, over: 10s }, { hold: 300/s, for: 50s } ]', [{ kind: 'ramp', from: 0, to: 300, durationMs: 10_000 }, { kind: 'hold', rate: 300, durationMs: 50_000 }], 1500 + 15_000, 300],
    ['[ { spike: 100/s, for: 500ms }, { pause: 1s }, { hold: 20/min, for: 3m } ]', [{ kind: 'spike', rate: 100, durationMs: 500 }, { kind: 'pause', durationMs: 1000 }, { kind: 'hold', rate: 1 / 3, durationMs: 180_000 }], 50 + 60, 100],
  ])('%s', (rate, stages, requests, peak) => {
    const a = ok(`actors:\n  a: { kind: organic, rate: ${rate} }\n`).actors[0]!
    expect(a.stages).toEqual(stages)
    expect(a.expectedRequests).toBe(requests)
    expect(a.peakRps).toBe(peak)
  })

  it('counts every copy of a duplicate arrival and offsets by start', () => {
    const plan = ok('actors:\n  d: { kind: duplicate, copies: 8, mode: race, start: 2s, rate: { hold: 5/s, for: 2s } }\n')
    expect(plan.actors[0]).toMatchObject({ expectedArrivals: 10, expectedRequests: 80, peakRps: 40, startMs: 2000, durationMs: 2000 })
    expect(plan.durationMs).toBe(4000)
  })

  it('compiles a closed-model actor', () => {
    const a = ok('actors:\n  c: { kind: organic, concurrency: 20, for: 30s }\n').actors[0]!
    expect(a).toMatchObject({ model: 'closed', concurrency: 20, durationMs: 30_000, expectedRequests: undefined })
  })
})

describe('${ENV} interpolation', () => {
  it('substitutes, and gives a whole reference the type the schema asks for', () => {
    const plan = ok(`target:\n  url: \${URL}\n  connections: \${CONN}\nseed: "\${SEED}"\n${ACTOR}`, { URL: 'http://127.0.0.1:9000', CONN: '8', SEED: '7' })
    expect(plan.target.url).toBe('http://127.0.0.1:9000')
    expect(plan.target.connections).toBe(8)
    expect(plan.seed).toBe(7)
  })
  it('keeps a reference text where the schema wants text', () => {
    expect(ok(`name: \${BUILD}\n${ACTOR}`, { BUILD: '1234' }).name).toBe('1234')
  })
  it('still refuses a value that is not a number', () => {
    const r = checkScenarioText(`seed: \${SEED}\n${ACTOR}`, 't.yaml', { SEED: 'lucky' })
    expect(r.problems.map((p) => p.message)).toEqual(['expected a number, got "lucky"'])
  })
  it('hints to quote a placeholder that broke a flow mapping', () => {
    const r = checkScenarioText(`api: { like: { path: /x/{post} } }\n${ACTOR}`, 't.yaml', {})
    expect(r.problems).toHaveLength(1)
    expect(r.problems[0]!.hint).toBe('inside { } write values with {placeholders} or ${VARS} in quotes: path: "/v1/posts/{post}/likes"')
  })
  it('uses the default when unset', () => {
    expect(ok(`target: \${T:-builtin}\n${ACTOR}`).target.url).toBe('builtin')
  })
  it('keeps a quoted scalar as text', () => {
    expect(ok(`name: "\${N}"\n${ACTOR}`, { N: '42' }).name).toBe('42')
  })
  it('names every unset variable at its place', () => {
    const r = checkScenarioText(`name: \${A}\ntarget: \${B}\n${ACTOR}`, 't.yaml', {})
    expect(r.problems.map((p) => [p.line, p.col, p.path, p.message])).toEqual([
      [1, 7, 'name', 'environment variable A is not set'],
      [2, 9, 'target', 'environment variable B is not set'],
    ])
  })
})

describe('generated users', () => {
  it('sign their tokens with users.secret when given (a likebench serve started by hand)', () => {
    expect(ok(`users: { count: 10, secret: "\${S}" }\n${ACTOR}`, { S: 'k3y' }).users).toEqual({ kind: 'generated', count: 10, secret: 'k3y' })
  })
})

describe('users from a CSV file', () => {
  it('counts rows without loading them, relative to the scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-users-'))
    writeFileSync(join(dir, 'users.csv'), 'id,token,ip\nu1,t1,127.0.0.2\nu2,t2,127.0.0.3\nu3,t3,127.0.0.4')
    writeFileSync(join(dir, 's.yaml'), `users: { file: users.csv }\n${ACTOR}`)
    expect(loadScenario(join(dir, 's.yaml'), {}).users).toEqual({ kind: 'file', file: join(dir, 'users.csv'), count: 3, hasIp: true })
  })
})

describe('loadScenario', () => {
  it('throws one ScenarioError holding every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-bad-'))
    writeFileSync(join(dir, 'bad.yaml'), 'seed: x\nactors:\n  a: { kind: organic }\n  b: { kind: toggle, concurrency: 2 }\n')
    const err = (() => { try { loadScenario(join(dir, 'bad.yaml'), {}) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(ScenarioError)
    expect((err as ScenarioError).problems.map((p) => p.path)).toEqual(['seed', 'actors.a', 'actors.b.for'])
    expect((err as ScenarioError).exitCode).toBe(2)
  })
})

describe('the published JSON Schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  const validate = ajv.compile(scenarioJsonSchema())
  const examples = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'))

  it('has the examples to check', () => expect(examples.length).toBeGreaterThanOrEqual(5))

  it.each(examples)('accepts scenarios/%s, as does the loader', (f) => {
    const text = readFileSync(join('scenarios', f), 'utf8')
    expect(text.startsWith('# yaml-language-server: $schema=../schema/scenario.schema.json')).toBe(true)
    expect(checkScenarioText(text, f, {}).problems).toEqual([])
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true)
  })

  it.each([
    ['an unknown key', 'actor: {}\n'],
    ['an unknown actor kind', 'actors: { a: { kind: flod } }\n'],
    ['a malformed duration', 'actors: { a: { kind: organic, rate: { hold: 1/s, for: 30 } } }\n'],
  ])('refuses %s, as does the loader', (_what, text) => {
    expect(checkScenarioText(text, 'x.yaml', {}).problems.length).toBeGreaterThan(0)
    expect(validate(parseYaml(text))).toBe(false)
  })
})
