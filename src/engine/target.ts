import { connect } from 'node:net'
import { ExitCode, LikebenchError } from '../errors.js'
import { isLoopbackHost } from '../scenarios/checks.js'
import { planPeakRate } from '../scenarios/stages.js'
import type { Plan } from '../scenarios/types.js'
import { startBuiltinTarget, type BuiltinTarget } from '../target/launch.js'

/**
 * Where a run's traffic goes, checked before the first packet (DESIGN.md section 7): the
 * safety rails, the built-in target started for the run, and a preflight that fails fast
 * when nothing listens.
 */

/** ResolvedTarget is the target a run sends to. */
export interface ResolvedTarget {
  /** Origin, e.g. http://127.0.0.1:41234. */
  url: string
  builtin: boolean
  /** The token secret for generated users: the built-in target's, or the scenario's. */
  secret: string
  /** stop ends a target that was started for the run (a no-op otherwise). */
  stop(): Promise<void>
}

/** Limits are the global caps on a run, raised only on the command line. */
export interface Limits {
  maxRate: number
  maxDurationMs: number
  allowHosts: string[]
}

/** DEFAULT_LIMITS are the caps a run gets unless --max-rate / --max-duration raise them. */
export const DEFAULT_LIMITS: Limits = { maxRate: 100_000, maxDurationMs: 30 * 60_000, allowHosts: [] }

/** checkRails refuses a plan that would send where or as much as it may not, before anything starts. */
export function checkRails(plan: Plan, limits: Limits): void {
  if (plan.target.url !== 'builtin') {
    const host = new URL(plan.target.url).hostname
    if (!isLoopbackHost(host)) {
      const listed = plan.target.allow.includes(host)
      const passed = limits.allowHosts.includes(host)
      if (!listed || !passed) {
        throw new LikebenchError('LB_TARGET_REFUSED', `refusing to send to ${host}: it is not a loopback address`, {
          hint: !listed
            ? `likebench targets only loopback unless the scenario lists the host under target.allow and the run passes --allow-host ${host}`
            : `the scenario allows ${host}; confirm you own it by passing --allow-host ${host}`,
          exitCode: ExitCode.target,
        })
      }
    }
  }
  const peak = planPeakRate(plan)
  if (peak > limits.maxRate) {
    throw new LikebenchError('LB_RATE_CAP', `the scenario peaks at ${Math.round(peak)} requests/s, above the cap of ${limits.maxRate}/s`, {
      hint: `lower the rates, scale them with --rate-scale, or raise the cap with --max-rate ${Math.ceil(peak)}`,
      exitCode: ExitCode.target,
    })
  }
  if (plan.durationMs > limits.maxDurationMs) {
    throw new LikebenchError('LB_DURATION_CAP', `the scenario runs ${Math.round(plan.durationMs / 1000)}s, above the cap of ${limits.maxDurationMs / 1000}s`, {
      hint: `shorten it with --duration, or raise the cap with --max-duration ${Math.ceil(plan.durationMs / 1000)}s`,
      exitCode: ExitCode.target,
    })
  }
}

/** resolveTarget starts the built-in target when the plan asks for it, then checks that something answers. */
export async function resolveTarget(plan: Plan, opts: { debugArrivals?: boolean } = {}): Promise<ResolvedTarget> {
  if (plan.target.url === 'builtin') {
    const b = plan.target.builtin
    const t: BuiltinTarget = await startBuiltinTarget({
      flaws: b.flaws, rateLimits: b.rateLimits, posts: b.posts ?? plan.posts.count,
      ...(b.latency === undefined ? {} : { latency: b.latency }),
      // users.secret signs the generated users' tokens, so the target must verify with it too.
      ...(secretOf(plan) === undefined ? {} : { secret: secretOf(plan) }),
      ...(opts.debugArrivals ? { debugArrivals: true } : {}),
    })
    return { url: t.url, builtin: true, secret: t.secret, stop: () => t.stop() }
  }
  const url = new URL(plan.target.url)
  await preflight(url)
  return { url: url.origin, builtin: false, secret: plan.target.builtin.secret ?? '', stop: async () => {} }
}

/** secretOf is the token key a plan asks for: target.builtin.secret, else users.secret. */
function secretOf(plan: Plan): string | undefined {
  return plan.target.builtin.secret ?? (plan.users.kind === 'generated' ? plan.users.secret : undefined)
}

/** preflight opens one TCP connection to the target and fails fast, with a hint, when nothing listens. */
export function preflight(url: URL, timeoutMs = 3000): Promise<void> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    const fail = (why: string) => {
      socket.destroy()
      reject(new LikebenchError('LB_TARGET_UNREACHABLE', `nothing answers at ${url.host}: ${why}`, {
        hint: 'start the target first, or use target: builtin (or --target builtin) for the reference like-API',
        exitCode: ExitCode.target,
      }))
    }
    socket.setTimeout(timeoutMs, () => fail(`no connection within ${timeoutMs}ms`))
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : (e.code ?? e.message)))
  })
}
