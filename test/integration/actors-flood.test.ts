import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

/** A like farm past the built-in per-account limit: 20 accounts × ~22 likes each in 1.5 s, from 4 loopback addresses. */
const farm = (target: string) => `name: farm
${target}
users: { count: 1000 }
posts: { count: 100 }
actors:
  farm: { kind: flood, accounts: 20, ips: { count: 4, via: source }, posts: [7], rate: { hold: 300/s, for: 1500ms } }
`

describe('flood against the built-in target', () => {
  it('holds on the sound target: the farm is throttled, on every address', async () => {
    const f = findingOf(await runYaml(farm(builtinTarget())), 'farm')
    expect(f.ok).toBe(true)
    expect(f.message).toMatch(/^the farm was throttled: \d+ of 450 requests/)
    const perIp = f.evidence.perIp as Array<{ ip: string; sent: number; throttled: number }>
    expect(perIp.map((r) => r.ip)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
    for (const row of perIp) expect(row.throttled).toBeGreaterThan(0)
  })

  it('fires with no-rate-limit: every farm request admitted, none throttled', async () => {
    const f = findingOf(await runYaml(farm(builtinTarget(['no-rate-limit']))), 'farm')
    expect(f.ok).toBe(false)
    expect(f.evidence).toMatchObject({ sent: 450, admitted: 450, throttled: 0, admittedShare: 1, via: 'source' })
    expect(f.message).toMatch(/^none of 450 farm requests were throttled: 450 admitted \(100%\) from 20 accounts on 4 source addresses/)
  })
})

describe('flood source addresses', () => {
  it('really comes from several loopback addresses with ips.via: source', async () => {
    const peers = new Map<string, number>()
    const server = http.createServer((req, res) => {
      const a = req.socket.remoteAddress ?? '?'
      if (req.method === 'POST') peers.set(a, (peers.get(a) ?? 0) + 1) // the farm's likes, not the integrity read-back
      req.resume()
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"liked":true,"likes":1}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const result = await runYaml(`name: sources
target: { url: "http://127.0.0.1:${port}", warmup: 0s }
users: { count: 100 }
posts: { count: 10 }
actors:
  farm: { kind: flood, accounts: 8, ips: { count: 4, via: source }, posts: [3], rate: { hold: 200/s, for: 500ms } }
`)
      expect(result.actors.farm).toMatchObject({ requests: 100, responses: 100 })
      expect([...peers.keys()].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
      for (const n of peers.values()) expect(n).toBe(25)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
