import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { resultJsonSchema, type RunResult } from '../../src/result.js'
import { runCli, STACK_TRACE } from '../helpers/cli.js'

/**
 * The verdict decides the exit code, end to end through the CLI: a spoofer rotating
 * forwarding headers against a per-IP limit of 20/s. The sound target keys on the socket
 * address and holds (exit 0); with `trust-forwarded` every claimed address gets a bucket of
 * its own, the oracle (which keys on the real source address) reports the leak, and the run
 * exits 99. The result files are checked against the published JSON Schema.
 */

const dir = mkdtempSync(join(tmpdir(), 'lb-verdicts-'))
const validate = new Ajv2020({ strict: false }).compile(resultJsonSchema())

const file = join(dir, 'spoof.yaml')
writeFileSync(file, `
name: spoof-per-ip
target: { url: builtin, warmup: 0s, builtin: { rateLimits: ["ip=20/1s,burst=20", "user=1000/1s"] } }
users: { count: 100 }
posts: { count: 50, pick: uniform }
integrity: { read: off }
actors:
  dodger:
    kind: spoof
    accounts: 50
    rate: { hold: 100/s, for: 3s }
policy:
  - { name: per-ip, key: ip, limit: 20, per: 1s, burst: 20, on: [like, unlike] }
`)

function readResult(out: string): RunResult {
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult
  expect(validate(r), JSON.stringify(validate.errors)).toBe(true)
  return r
}

describe('likebench run: the defense verdicts set the exit code', () => {
  it('a per-IP limit that holds against spoofed forwarding headers: exit 0', async () => {
    const out = join(dir, 'sound.json')
    const r = await runCli(['run', file, '--out', out], { timeoutMs: 30_000 })
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code, r.stdout).toBe(0)
    const p = readResult(out).ratelimit['per-ip']!
    expect(p.keys).toBe(1)
    expect(p.material.material).toBe(false)
    expect(p.admitted).toBeLessThan(0.5 * p.sent)
    expect(r.stdout).toMatch(/per-ip\s+declared 20\/1s burst 20 · estimated/)
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^PASSED/)
  })

  it('trust-forwarded: the oracle reports the per-IP leak and the run exits 99', async () => {
    const out = join(dir, 'flawed.json')
    const r = await runCli(['run', file, '--builtin-flaw', 'trust-forwarded', '--out', out], { timeoutMs: 30_000 })
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code, r.stdout).toBe(99)
    const result = readResult(out)
    const p = result.ratelimit['per-ip']!
    expect(p.keys).toBe(1)
    expect(p.admitted).toBe(p.sent)
    expect(p.overAdmitted).toBeGreaterThan(0.5 * p.sent)
    expect(result.findings.find((f) => f.kind === 'ratelimit')).toMatchObject({ actor: 'per-ip', ok: false })
    const last = r.stdout.trimEnd().split('\n').pop()!
    expect(last).toMatch(/^FAILED/)
    expect(last).toContain('per-ip: ')
  })
})
