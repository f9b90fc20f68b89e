import type { Command } from 'commander'
import type { Io } from './io.js'
import type { ActorPlan, Plan, Stage } from '../scenarios/types.js'
import { formatDuration, formatRate } from '../units.js'
import { sourceAddress } from '../identities/ips.js'
import { populations, type Population } from '../actors/population.js'

/** PlanSummary is what `likebench plan` shows: per actor what it would send, to whom, and when. */
export interface PlanSummary {
  name: string
  file: string
  seed: number
  target: string
  hosts: string[]
  durationMs: number
  warmupMs: number
  expectedRequests: number | null
  actors: Array<{
    name: string
    kind: string
    model: 'open' | 'closed'
    startMs: number
    durationMs: number
    stages: string[]
    arrivals: string
    expectedRequests: number | null
    peakRps: number | null
    concurrency: number | null
    identities: Record<string, number | string>
  }>
}

function stageText(s: Stage): string {
  switch (s.kind) {
    case 'hold': return `hold ${formatRate(s.rate)} for ${formatDuration(s.durationMs)}`
    case 'spike': return `spike ${formatRate(s.rate)} for ${formatDuration(s.durationMs)}`
    case 'ramp': return `ramp ${formatRate(s.from)}..${formatRate(s.to)} over ${formatDuration(s.durationMs)}`
    case 'pause': return `pause ${formatDuration(s.durationMs)}`
  }
}

function identities(a: ActorPlan, plan: Plan, users: Population): Record<string, number | string> {
  const o = a.options
  const range = users.count === plan.users.count ? '' : ` (users ${users.first + 1}..${users.first + users.count})`
  switch (o.kind) {
    case 'flood': return { accounts: `${o.accounts}${range}`, sourceIps: o.ips.count, via: o.ips.via, posts: o.posts.length }
    case 'spoof': return { accounts: `${o.accounts}${range}`, spoofedIps: o.ips, headers: o.headers.join(' ') }
    case 'toggle': return { users: `${o.users}${range}`, posts: o.posts?.length ?? plan.posts.count }
    case 'duplicate': return { users: users.count, posts: o.posts?.length ?? plan.posts.count, copies: o.copies, mode: o.mode }
    case 'unauthenticated': return { users: users.count, variants: o.variants.join(' ') }
    case 'malformed': return { variants: o.variants.join(' ') }
    case 'organic': return { users: users.count, posts: plan.posts.count }
  }
}

/** sourceRange names the addresses flood actors bind for `n` source IPs. */
function sourceRange(plan: Plan, n: number): string {
  const local = plan.target.localAddresses
  if (local.length) return Array.from({ length: Math.min(n, local.length) }, (_, i) => sourceAddress(local, i)).join(', ')
  return n === 1 ? sourceAddress(local, 0) : `${sourceAddress(local, 0)}..${sourceAddress(local, n - 1)}`
}

/** summarizePlan computes the plan's summary without sending anything. */
export function summarizePlan(plan: Plan): PlanSummary {
  const binds = plan.actors.flatMap((a) => (a.options.kind === 'flood' && a.options.ips.via === 'source' ? [a.options.ips.count] : []))
  const maxBinds = Math.max(0, ...binds)
  const hosts = plan.target.url === 'builtin' ? ['127.0.0.1 (built-in target, started for the run on a free port)'] : [new URL(plan.target.url).host]
  if (maxBinds > 0) hosts.push(`from source addresses ${sourceRange(plan, maxBinds)} (flood actors) and 127.0.0.1 (the others)`)
  const open = plan.actors.filter((a) => a.expectedRequests !== undefined)
  const slices = populations(plan)
  return {
    name: plan.name,
    file: plan.file,
    seed: plan.seed,
    target: plan.target.url,
    hosts,
    durationMs: plan.durationMs,
    warmupMs: plan.target.warmupMs,
    expectedRequests: open.length === plan.actors.length ? open.reduce((n, a) => n + (a.expectedRequests ?? 0), 0) : null,
    actors: plan.actors.map((a, i) => ({
      name: a.name,
      kind: a.kind,
      model: a.model,
      startMs: a.startMs,
      durationMs: a.durationMs,
      stages: a.model === 'closed' ? [`${a.concurrency} virtual users for ${formatDuration(a.durationMs)}`] : a.stages.map(stageText),
      arrivals: a.arrivals,
      expectedRequests: a.expectedRequests ?? null,
      peakRps: a.model === 'open' ? a.peakRps : null,
      concurrency: a.concurrency ?? null,
      identities: identities(a, plan, slices[i]!),
    })),
  }
}

/** renderPlan renders a PlanSummary for a terminal. */
export function renderPlan(s: PlanSummary): string {
  const lines = [
    `${s.name}  (${s.file}, seed ${s.seed})`,
    `target    ${s.target}`,
    `hosts     ${s.hosts.join('; ')}`,
    `duration  ${formatDuration(s.durationMs)}${s.warmupMs ? ` (after a ${formatDuration(s.warmupMs)} warm-up of unrecorded reads)` : ''}`,
    `requests  ${s.expectedRequests === null ? 'depends on the target (closed-model actors)' : s.expectedRequests.toLocaleString('en-US')}`,
    '',
  ]
  for (const a of s.actors) {
    const volume = a.model === 'closed'
      ? `closed model, ${a.concurrency} virtual users`
      : `${a.expectedRequests!.toLocaleString('en-US')} requests, peak ${formatRate(a.peakRps!)}, ${a.arrivals} arrivals`
    lines.push(`${a.name} (${a.kind}) — ${volume}`)
    lines.push(`  from ${formatDuration(a.startMs)} to ${formatDuration(a.startMs + a.durationMs)}: ${a.stages.join(', then ')}`)
    lines.push(`  identities: ${Object.entries(a.identities).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`).join(', ')}`)
  }
  lines.push('', 'Nothing was sent. Run it with: likebench run ' + s.file)
  return lines.join('\n') + '\n'
}

/** registerPlan adds `likebench plan <file> [--json]`: print the compiled schedule without sending. */
export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .description('print what a run would send — per actor its stages, requests, peak rate, identities and hosts — without sending')
    .argument('<file>', 'scenario file (YAML)')
    .option('--json', 'print the plan as JSON')
    .addHelpText('after', '\nExample:\n  $ likebench plan scenarios/like-farm.yaml')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { loadScenario } = await import('../scenarios/loader.js')
      const plan = loadScenario(file, io.env)
      const summary = summarizePlan(plan)
      io.out(opts.json ? JSON.stringify({ summary, plan }, null, 2) + '\n' : renderPlan(summary))
    })
}
