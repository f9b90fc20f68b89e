/**
 * Connection pools: one undici Pool per origin (and per bound source address), sized from
 * the scenario. Retries stay off — a load tool that retries hides the failures it exists
 * to count — and so does pipelining, so one slow response cannot hold others hostage.
 */
import { Pool } from 'undici'

/** PoolOptions sizes a pool: connections, the per-request timeout, and an optional source address. */
export interface PoolOptions {
  connections: number
  /** Applies to connecting, to waiting for headers, and to each gap while reading the body. */
  timeoutMs: number
  /** Bind outgoing connections to this local address (e.g. 127.0.0.3 for `ips.via: source`). */
  localAddress?: string
}

/** createPool returns a keep-alive undici Pool for `origin`: no pipelining, no retries, scenario timeouts. */
export function createPool(origin: string, opts: PoolOptions): Pool {
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
