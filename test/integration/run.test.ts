import { existsSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFiles } from '../helpers/run-files.js'
import { interruptCli, runCli, STACK_TRACE } from '../helpers/cli.js'
import { bigBodyServer, garbageServer, hangingServer, resettingServer, startServer, type TestServer } from '../helpers/servers.js'

/**
 * `likebench run` end to end: the CLI in its own process against real loopback servers in
 * this one, so the generator and the server never share an event loop.
 */

const { dir, keep, scenario, readResult } = runFiles('lb-run-')

describe('failures are data: the run completes and its report is written', () => {
  const cases: Array<[string, string, () => Promise<TestServer>]> = [
    ['reset mid-body', 'reset', resettingServer],
    ['hung', 'timeout', hangingServer],
    ['garbage HTTP', 'protocol', garbageServer],
  ]
  it.each(cases)('%s → %s', async (_name, kind, start) => {
    const s = await start()
    keep(s)
    const out = join(dir, `${kind}.json`)
    const r = await runCli(['run', scenario(kind, s.origin, '{ kind: organic, rate: { hold: 20/s, for: 500ms } }'), '--out', out])
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code).toBe(99) // the organic actor's defense finding: ordinary traffic failed
    const result = readResult(out)
    expect(result.totals.requests).toBe(10)
    expect(result.totals.errorKinds[kind as 'reset']).toBe(10)
    expect(result.verdict).toBe('failed')
    expect(r.stdout).toContain(`errors by kind: ${kind} 10`)
  })

  it('refused connections (the target went away after the preflight) → refused', async () => {
    const server = net.createServer((socket) => {
      socket.destroy()
      server.close()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
    const out = join(dir, 'refused.json')
    const r = await runCli(['run', scenario('refused', origin, '{ kind: organic, rate: { hold: 20/s, for: 500ms } }'), '--out', out])
    expect(r.code).toBe(99)
    expect(readResult(out).totals.errorKinds.refused).toBe(10)
  })

  it('an oversized body is read to the end without errors or reconnects', async () => {
    const s = await bigBodyServer(1 << 20)
    keep(s)
    const out = join(dir, 'big.json')
    const r = await runCli(['run', scenario('big', s.origin, '{ kind: organic, rate: { hold: 20/s, for: 500ms } }'), '--out', out])
    expect(r.code).toBe(0)
    const result = readResult(out)
    expect(result.totals.status['200']).toBe(10)
    expect(result.totals.errors).toBe(0)
    // The pool's 8 connections, plus the preflight's one TCP probe: no reconnects.
    expect(s.connections).toBeLessThanOrEqual(9)
  })
})

describe('the closed model', () => {
  it('keeps N virtual users busy and says so in the result and the summary', async () => {
    let inFlight = 0
    let most = 0
    const s = await startServer((req, res) => {
      if (req.method === 'GET') return void res.writeHead(204).end() // the warm-up's reads
      most = Math.max(most, ++inFlight)
      setTimeout(() => {
        inFlight--
        res.writeHead(204).end()
      }, 5)
    })
    keep(s)
    const out = join(dir, 'closed.json')
    const r = await runCli(['run', scenario('closed', s.origin, '{ kind: organic, concurrency: 4, for: 1s }'), '--out', out])
    expect(r.code).toBe(0)
    const result = readResult(out)
    expect(result.actors.a).toMatchObject({ model: 'closed', planned: null })
    expect(most).toBe(4)
    // Four users, each waiting ~5 ms per answer, for a second: a few hundred requests, not a schedule's worth.
    expect(result.totals.requests).toBeGreaterThan(100)
    expect(result.totals.requests).toBeLessThan(1000)
    expect(r.stdout).toMatch(/^a\s+closed\s/m)
    expect(r.stdout).toContain('closed model (a): virtual users wait for answers')
  })
})

describe('Ctrl-C', () => {
  it('stops sending, writes a complete result marked aborted, and exits 4', async () => {
    const s = await startServer()
    keep(s)
    const out = join(dir, 'abort.json')
    // Interrupt once the schedule's traffic is flowing (not the warm-up's reads), however long the CLI took to start.
    const likes = () => s.received.filter((x) => x.method !== 'GET').length
    const { code, stdout } = await interruptCli(['run', scenario('abort', s.origin, '{ kind: organic, rate: { hold: 100/s, for: 30s } }'), '--out', out], () => likes() >= 50, { readyMs: 10_000 })
    expect(code).toBe(4)
    expect(existsSync(out)).toBe(true)
    const result = readResult(out)
    expect(result.verdict).toBe('aborted')
    expect(result.totals.requests).toBeGreaterThanOrEqual(50)
    expect(result.totals.requests).toBeLessThan(300)
    expect(likes()).toBe(result.totals.requests)
    expect(stdout).toContain('ABORTED')
  })
})

describe('the built-in target', () => {
  it('verifies tokens with users.secret when the scenario sets one', async () => {
    const file = join(dir, 'secret.yaml')
    writeFileSync(file, 'target: { url: builtin, warmup: 0s }\nusers: { count: 20, secret: my-key }\nintegrity: { read: off }\nactors:\n  a: { kind: organic, rate: { hold: 20/s, for: 500ms } }\n')
    const out = join(dir, 'secret.json')
    const r = await runCli(['run', file, '--out', out, '-q'])
    expect(r.code).toBe(0)
    expect(readResult(out).totals.status).toEqual({ '201': 10 })
  })
})

describe('before the first packet', () => {
  it('fails fast with exit 3 and a hint when nothing answers', async () => {
    const s = await startServer()
    const origin = s.origin
    await s.close()
    const r = await runCli(['run', scenario('nothing', origin, '{ kind: organic, rate: { hold: 10/s, for: 1s } }')])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`error: nothing answers at ${origin.replace('http://', '')}: connection refused (nothing listens there)`)
    expect(r.stderr).toContain('hint: start the target first, or use target: builtin')
    expect(r.stderr).not.toMatch(STACK_TRACE)
  })

  it('refuses a non-loopback host the run did not confirm, with exit 3', async () => {
    const file = join(dir, 'remote.yaml')
    writeFileSync(file, 'target: { url: "http://likes.example.invalid", allow: [likes.example.invalid] }\nactors:\n  a: { kind: organic, rate: { hold: 1/s, for: 1s } }\n')
    const r = await runCli(['run', file])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('refusing to send to likes.example.invalid: it is not a loopback address')
    expect(r.stderr).toContain('hint: the scenario allows likes.example.invalid; confirm you own it by passing --allow-host likes.example.invalid')
  })

  it('refuses a schedule above the rate cap unless it is raised', async () => {
    const s = await startServer()
    keep(s)
    const r = await runCli(['run', scenario('fast', s.origin, '{ kind: organic, rate: { hold: 200000/s, for: 1s } }')])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('the scenario peaks at 200000 requests/s, above the cap of 100000/s')
    expect(s.received.length).toBe(0)
  })
})
