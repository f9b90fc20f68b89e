/**
 * Connection pools: one per origin (and per bound source address), sized from the scenario.
 * Retries stay off — a load tool that retries hides the failures it exists to count — and so
 * does pipelining, so one slow response cannot hold others hostage.
 *
 * `http:` origins get the lean HTTP/1.1 transport (transport/fast.ts), which costs a fraction
 * of undici's CPU per request; `https:` origins, and any origin when the environment says
 * LIKEBENCH_TRANSPORT=undici (for A/B measurements, docs/performance.md), get an undici Pool.
 * Both take the same handlers, so Exchange, the recorder and the verdicts cannot tell them
 * apart.
 */
import { Pool } from 'undici'
import { FastPool } from './fast.js'

/** PoolOptions sizes a pool: connections, the per-request timeout, and an optional source address. */
export interface PoolOptions {
  connections: number
  /** Applies to connecting, to waiting for headers, and to each gap while reading the body. */
  timeoutMs: number
  /** Bind outgoing connections to this local address (e.g. 127.0.0.3 for `ips.via: source`). */
  localAddress?: string
}

/** TRANSPORTS names the transports createPool can build; LIKEBENCH_TRANSPORT picks one. */
export const TRANSPORTS = ['fast', 'undici'] as const

/** Transport is a transport's name. */
export type Transport = (typeof TRANSPORTS)[number]

/** transportFor returns the transport an origin gets: undici for https: or when `env` says LIKEBENCH_TRANSPORT=undici, else fast. */
export function transportFor(origin: string, env: NodeJS.ProcessEnv = process.env): Transport {
  if (env.LIKEBENCH_TRANSPORT === 'undici') return 'undici'
  return new URL(origin).protocol === 'http:' ? 'fast' : 'undici'
}

/**
 * createPool returns a keep-alive pool for `origin`: no pipelining, no retries, scenario
 * timeouts. It is typed as undici's Pool, whose interface FastPool implements (dispatch with
 * undici's handlers, close, destroy, closed, destroyed, stats).
 */
export function createPool(origin: string, opts: PoolOptions): Pool {
  if (transportFor(origin) === 'fast') return new FastPool(origin, opts)
  return new Pool(origin, {
    connections: opts.connections,
    pipelining: 1,
    connectTimeout: opts.timeoutMs,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    // Under load a connection is rarely idle; when it is, keep it rather than reconnect mid-run.
    keepAliveTimeout: 30_000,
    ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
  })
}
