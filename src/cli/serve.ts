import type { Command } from 'commander'
import { LikebenchError } from '../errors.js'
import { isLoopbackHost } from '../scenarios/checks.js'
import {
  DEFAULT_POSTS, DEFAULT_RATE_LIMITS, FLAW_DOCS, resolveTargetConfig, type RateLimitSpec, type TargetConfig,
} from '../target/options.js'
import { formatDuration } from '../units.js'
import type { Io } from './io.js'

/** ServeOptions are the raw options of `likebench serve`, as commander hands them over. */
export interface ServeOptions {
  port: string
  host: string
  posts?: string
  rateLimit: string[]
  flaw: string[]
  latency?: string
  secret?: string
  debugArrivals?: boolean
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/** registerServe adds `likebench serve`, the built-in reference like-API (DESIGN.md section 6). */
export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description('start the built-in reference like-API on loopback: sound by default, flaws on request')
    .option('--port <n>', 'port to listen on; 0 picks a free one', '8080')
    .option('--host <addr>', 'loopback address to bind: 127.x.x.x, ::1 or localhost', '127.0.0.1')
    .option('--posts <n>', `number of posts, ids 1..N (default: ${DEFAULT_POSTS})`)
    .option('--rate-limit <spec>', "KEY=COUNT/PERIOD[,burst=N] with KEY user or ip; replaces that key's default (repeatable)", collect, [])
    .option('--flaw <name>', 'plant a flaw from the list below (repeatable)', collect, [])
    .option('--latency <spec>', 'model a database round trip per store operation: 2ms, 2ms±1ms or 2ms+-1ms')
    .option('--secret <text>', 'HMAC key of the tokens (default: random, printed at start)')
    .option('--debug-arrivals', 'record arrival times of requests with x-likebench-run; GET /debug/arrivals?run=ID')
    .addHelpText('after', helpText())
    .action((opts: ServeOptions) => runServe(opts, io))
}

function helpText(): string {
  const flaws = Object.entries(FLAW_DOCS).map(([name, doc]) => `  ${(name === 'stall' ? 'stall:EVERY/FOR' : name).padEnd(17)}${doc}`)
  return `
Flaws (--flaw NAME, repeatable; each changes exactly one behaviour):
${flaws.join('\n')}

Defaults: ${Object.values(DEFAULT_RATE_LIMITS).map((s) => `--rate-limit ${specText(s)}`).join(' ')}
  (token buckets on likes and unlikes; reads are not limited). 429s carry Retry-After and
  RateLimit-Policy / RateLimit (IETF draft -10) plus RateLimit-Limit/-Remaining/-Reset.
Tokens: Authorization: Bearer <user>.<sig>, sig = first 22 chars of base64url(HMAC-SHA256(secret, user)).

Examples:
  $ likebench serve --port 0
  $ likebench serve --flaw racy-dedupe --latency 2ms±1ms
  $ likebench serve --rate-limit ip=100/1s --flaw trust-forwarded`
}

function specText(s: RateLimitSpec): string {
  return `${s.key}=${s.limit}/${formatDuration(s.perMs)},burst=${s.burst}`
}

/** checkServeOptions validates the options of `likebench serve`, throwing a LikebenchError (exit 2) on the first problem. */
export function checkServeOptions(opts: ServeOptions): { port: number; host: string; config: TargetConfig } {
  const port = Number(opts.port)
  if (!/^\d+$/.test(opts.port) || port > 65535) {
    throw new LikebenchError('LB_SERVE_OPTION', `--port must be a whole number from 0 to 65535 (got "${opts.port}")`, {
      hint: '--port 0 picks a free port',
    })
  }
  if (!isLoopbackHost(opts.host)) {
    throw new LikebenchError('LB_SERVE_HOST', `--host ${opts.host} is not a loopback address`, {
      hint: 'the reference API is a test target and listens on loopback only: use 127.0.0.1, ::1 or localhost',
    })
  }
  if (opts.posts !== undefined && !/^\d+$/.test(opts.posts)) {
    throw new LikebenchError('LB_SERVE_OPTION', `--posts must be a whole number (got "${opts.posts}")`, { hint: 'e.g. --posts 500' })
  }
  const config = resolveTargetConfig({
    flaws: opts.flaw,
    rateLimits: opts.rateLimit,
    ...(opts.posts === undefined ? {} : { posts: Number(opts.posts) }),
    ...(opts.latency === undefined ? {} : { latency: opts.latency }),
    ...(opts.secret === undefined ? {} : { secret: opts.secret }),
    debugArrivals: opts.debugArrivals ?? false,
  })
  return { port, host: opts.host.replace(/^\[|\]$/g, ''), config }
}

/** runServe starts the server, prints how to use it, and resolves once SIGINT or SIGTERM stopped it. */
export async function runServe(opts: ServeOptions, io: Io): Promise<void> {
  const { port, host, config } = checkServeOptions(opts)
  const { createTargetServer } = await import('../target/server.js')
  const target = createTargetServer(config)
  const url = await target.listen(port, host).catch((err: NodeJS.ErrnoException) => {
    throw new LikebenchError('LB_SERVE_LISTEN', `cannot listen on ${host}:${port} (${err.code ?? err.message})`, {
      hint: err.code === 'EADDRINUSE' ? 'another process holds the port; --port 0 picks a free one' : 'check --host and --port',
    })
  })
  io.out(await banner(url, config))
  let onSignal: (s: NodeJS.Signals) => void = () => {}
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  })
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  io.err(`${signal}: stopping\n`)
  await target.close()
}

async function banner(url: string, config: TargetConfig): Promise<string> {
  const { signToken } = await import('../target/token.js')
  const token = signToken(config.secret, 'alice')
  const limits = Object.values(config.rateLimits).map(specText).join(', ') || 'none'
  const f = config.flaws
  const flaws = [
    ...Object.entries(f).filter(([, v]) => v === true).map(([k]) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
    ...(f.stall ? [`stall:${formatDuration(f.stall.everyMs)}/${formatDuration(f.stall.forMs)}`] : []),
  ]
  return [
    `likebench reference like-API listening on ${url}`,
    `  posts 1..${config.posts} · rate limits: ${limits} · flaws: ${flaws.join(', ') || 'none'}`,
    `  secret: ${config.secret}`,
    `  token = <user>.<first 22 chars of base64url(HMAC-SHA256(secret, user))>; for user alice:`,
    `  curl -X POST -H 'Authorization: Bearer ${token}' ${url}/v1/posts/1/likes`,
    config.debugArrivals ? `  arrivals: ${url}/debug/arrivals?run=<x-likebench-run>` : '',
    `Ctrl-C stops it.`,
    '',
  ].filter((l, i, a) => l !== '' || i === a.length - 1).join('\n')
}
