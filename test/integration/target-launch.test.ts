import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/program.js'
import { LikebenchError } from '../../src/errors.js'
import { startBuiltinTarget, type BuiltinTarget } from '../../src/target/launch.js'
import { signToken } from '../../src/target/token.js'
import { call, socketBurst } from '../helpers/target-server.js'

/** End to end: the target in its own process, started by startBuiltinTarget and by `likebench serve` (needs `npm run build`). */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = `${ROOT}bin/likebench`

/** alive says whether a process runs; an exited child whose dead parent left it unreaped (a zombie) does not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return true // no procfs: trust kill(0)
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return cond()
}

describe('startBuiltinTarget', () => {
  const started: BuiltinTarget[] = []
  const start = async (opts: Parameters<typeof startBuiltinTarget>[0]): Promise<BuiltinTarget> => {
    const t = await startBuiltinTarget(opts)
    started.push(t)
    return t
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.stop()))
  })

  it('starts the target in its own process on 127.0.0.1 and stops it by its PID', async () => {
    const t = await start({ secret: 'launch-secret', posts: 50 })
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(t.secret).toBe('launch-secret')
    expect(t.pid).not.toBe(process.pid)
    expect((await call(t.url, 'GET', '/healthz')).status).toBe(200)
    const like = await call(t.url, 'POST', '/v1/posts/50/likes', { token: signToken(t.secret, 'u1') })
    expect([like.status, like.json]).toEqual([201, { liked: true, likes: 1 }])
    expect((await call(t.url, 'GET', '/v1/posts/51')).status).toBe(404)
    await t.stop()
    expect(alive(t.pid)).toBe(false)
    await t.stop() // idempotent
  })

  it('makes up a secret when none is given, and hands it back', async () => {
    const t = await start({})
    expect(t.secret.length).toBeGreaterThanOrEqual(16)
    expect((await call(t.url, 'POST', '/v1/posts/1/likes', { token: signToken(t.secret, 'u') })).status).toBe(201)
  })

  it('throws a usage error for bad options before starting anything', async () => {
    await expect(startBuiltinTarget({ flaws: ['racy-dedup'] })).rejects.toThrow(/did you mean racy-dedupe/)
    await expect(startBuiltinTarget({ rateLimits: ['user=lots'] })).rejects.toBeInstanceOf(LikebenchError)
  })

  it('reports a child that dies before it is ready, with its stderr', async () => {
    const saved = process.env.NODE_OPTIONS
    process.env.NODE_OPTIONS = '--require /nonexistent/likebench-boom.cjs'
    try {
      const err = await startBuiltinTarget({}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LikebenchError)
      expect((err as LikebenchError).exitCode).toBe(3)
      expect((err as Error).message).toMatch(/exited before it was ready[\s\S]*likebench-boom/)
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS
      else process.env.NODE_OPTIONS = saved
    }
  })

  it('racy-dedupe: a synchronised burst of 20 duplicates counts more than once; the default counts once', async () => {
    for (const [flaws, check] of [[[], (n: number) => n === 1], [['racy-dedupe'], (n: number) => n > 1]] as const) {
      const t = await start({ flaws: [...flaws], rateLimits: ['user=1000/1s'], debugArrivals: true })
      const raw = `POST /v1/posts/1/likes HTTP/1.1\r\nhost: x\r\nx-likebench-run: burst\r\n` +
        `authorization: Bearer ${signToken(t.secret, 'dup')}\r\ncontent-length: 0\r\n\r\n`
      await socketBurst(t.url, 20, raw.replace('/posts/1/', '/posts/2/')) // warm up: a cold server parses slowly
      const codes = await socketBurst(t.url, 20, raw)
      const count = (await call(t.url, 'GET', '/v1/posts/1')).json.likes as number
      expect(check(count), `${flaws.join() || 'default'}: count ${count}`).toBe(true)
      expect(codes.filter((c) => c === 201)).toHaveLength(count)
      const arrivals: number[] = (await call(t.url, 'GET', '/debug/arrivals?run=burst')).json.arrivals
      expect(arrivals).toHaveLength(40)
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1000)
    }
  })

  it('stall: the whole server pauses; without the flaw it does not', async () => {
    async function worstLatency(t: BuiltinTarget): Promise<number> {
      let worst = 0
      for (const end = Date.now() + 600; Date.now() < end; ) {
        const t0 = performance.now()
        await call(t.url, 'GET', '/healthz')
        worst = Math.max(worst, performance.now() - t0)
        await new Promise((r) => setTimeout(r, 5))
      }
      return worst
    }
    expect(await worstLatency(await start({}))).toBeLessThan(150)
    expect(await worstLatency(await start({ flaws: ['stall:400ms/300ms'] }))).toBeGreaterThan(200) // one stall fits in 600ms
  })

  it('exits by itself when its parent dies', async () => {
    const script = `import('${ROOT}dist/target/launch.js').then(async (m) => {
      const t = await m.startBuiltinTarget({}); console.log(t.pid); setInterval(() => {}, 1000) })`
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pid = Number(await firstLine(parent))
    expect(alive(pid)).toBe(true)
    parent.kill('SIGKILL')
    expect(await waitUntil(() => !alive(pid), 5000)).toBe(true)
  })
})

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      text += c
      if (text.includes('\n')) resolve(text.split('\n')[0]!)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing: ${text}`)))
  })
}

function serve(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => void (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => void (err += c))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, out: () => out, err: () => err, exit }
}

describe('likebench serve', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('prints its URL and a token recipe, serves, and stops cleanly on %s', async (signal) => {
    const s = serve(['--port', '0', '--secret', 'cli-secret', '--posts', '10'])
    try {
      expect(await waitUntil(() => /Ctrl-C stops it/.test(s.out()), 10_000)).toBe(true)
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.out())![1]!
      expect(s.out()).toContain('secret: cli-secret')
      const token = /Bearer ([\w.-]+)/.exec(s.out())![1]!
      expect(token).toBe(signToken('cli-secret', 'alice'))
      expect((await call(url, 'POST', '/v1/posts/10/likes', { token })).status).toBe(201)
      s.child.kill(signal)
      expect(await s.exit).toBe(0)
      expect(s.err()).toContain(`${signal}: stopping`)
    } finally {
      s.child.kill('SIGKILL')
    }
  })

  it('exits 2 with a message and a hint, never a stack trace, for bad options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--flaw', 'racy-dedup'], /error: flaw: unknown flaw "racy-dedup" \(did you mean racy-dedupe\?\)\nhint: valid flaws: /],
      [['--host', '0.0.0.0'], /error: --host 0.0.0.0 is not a loopback address\nhint: .*loopback only/],
      [['--port', '99999'], /error: --port must be a whole number from 0 to 65535/],
      [['--rate-limit', 'user=lots'], /error: rate-limit: "lots" is not COUNT\/PERIOD\nhint: /],
      [['--latency', 'quick'], /error: latency: /],
      [['--posts', 'many'], /error: --posts must be a whole number/],
    ]
    const runs = await Promise.all(cases.map(async ([args]) => {
      const s = serve(args)
      return { code: await s.exit, err: s.err() }
    }))
    runs.forEach(({ code, err }, i) => {
      const [args, message] = cases[i]!
      expect(code, args.join(' ')).toBe(2)
      expect(err).toMatch(message)
      expect(err).toMatch(/\nhint: /)
      expect(err).not.toMatch(/\n\s+at /)
    })
  })

  it('exits 2 with a hint when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const { port } = blocker.address() as { port: number }
    try {
      const s = serve(['--port', String(port)])
      expect(await s.exit).toBe(2)
      expect(s.err()).toMatch(/EADDRINUSE[\s\S]*hint: .*--port 0/)
    } finally {
      blocker.close()
    }
  })

  it('--help documents every option and every flaw, one line each', async () => {
    let out = ''
    const io = { out: (t: string) => void (out += t), err: () => {}, env: {}, stderrIsTTY: false }
    await expect(buildProgram(io).parseAsync(['node', 'likebench', 'serve', '--help'])).rejects.toThrow()
    for (const opt of ['--port', '--host', '--posts', '--rate-limit', '--flaw', '--latency', '--secret', '--debug-arrivals']) {
      expect(out).toContain(opt)
    }
    for (const flaw of ['no-dedupe', 'racy-dedupe', 'trust-forwarded', 'fixed-window', 'no-rate-limit', 'no-auth', 'crash-on-bad-id', 'stall:EVERY/FOR']) {
      expect(out).toMatch(new RegExp(`^  ${flaw} +\\S.*$`, 'm'))
    }
  })
})
