import { Chalk, type ChalkInstance } from 'chalk'
import type { ActorResult, Counts, RunResult } from '../result.js'
import { statusClasses } from './figures.js'
import { int, ms, table } from './table.js'
import type { Reporter } from './types.js'

/**
 * The summary a person reads after a run: per actor the volume, corrected latency, status
 * classes, throttling, errors and drops; the defenses; the generator's health; and one
 * last line with the verdict. Latency here is always the corrected kind (from the intended
 * send time) unless labelled otherwise.
 */

function actorRow(name: string, a: Pick<ActorResult, 'model'> & Counts & { latency: ActorResult['latency'] }): string[] {
  const c = statusClasses(a.status)
  const transport = Object.values(a.errorKinds).reduce((n, v) => n + (v ?? 0), 0)
  const l = a.latency.corrected
  return [name, a.model, int(a.requests), `${a.rps.toFixed(1)}/s`, ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max),
    int(c.x2), int(a.rejected), int(a.throttled), int(c.x5), int(transport), int(a.dropped)]
}

/** renderSummary renders a result for a terminal; `color` turns on ANSI colours. */
export function renderSummary(r: RunResult, color = false): string {
  const k: ChalkInstance = new Chalk({ level: color ? 1 : 0 })
  const out: string[] = []
  const target = r.target.builtin ? `built-in target ${r.target.url}` : r.target.url
  out.push(k.bold(`likebench ${r.likebench} · ${r.scenario.name} · seed ${r.scenario.seed} · ${target} · ${(r.durationMs / 1000).toFixed(1)}s`), '')
  const head = ['actor', 'model', 'requests', 'rate', 'p50', 'p90', 'p99', 'max', '2xx', 'rejected', 'throttled', '5xx', 'errors', 'dropped']
  const rows = Object.entries(r.actors).map(([name, a]) => actorRow(name, a))
  if (rows.length > 1) rows.push(actorRow('all', { ...r.totals, model: r.actors[Object.keys(r.actors)[0]!]!.model, latency: r.latency }))
  out.push(table([head.map((h) => k.dim(h)), ...rows]))
  out.push(k.dim('latency is corrected: measured from when each request was due, not when it was sent'))
  const u = r.latency.uncorrected
  out.push(k.dim(`uncorrected p50 ${ms(u.p50)} p99 ${ms(u.p99)} · send lag p99 ${ms(r.latency.sendLag.p99)}`))
  const kinds = Object.entries(r.totals.errorKinds).filter(([, n]) => n)
  if (kinds.length) out.push(`errors by kind: ${kinds.map(([kind, n]) => `${kind} ${int(n!)}`).join(', ')}`)
  const closed = Object.entries(r.actors).filter(([, a]) => a.model === 'closed').map(([n]) => n)
  if (closed.length) out.push(k.yellow(`closed model (${closed.join(', ')}): virtual users wait for answers, so their rate is what the target allowed, not a schedule`))
  const defenses = defenseLines(r, k)
  if (r.findings.length || defenses.length) {
    out.push('', k.bold('Defenses'))
    if (r.findings.length) out.push(table(r.findings.map((f) => [f.ok ? k.green('held  ') : k.red('BROKEN'), f.actor, f.message])))
    out.push(...defenses)
  }
  if (r.thresholds.length) {
    out.push('', k.bold('Thresholds'))
    out.push(table(r.thresholds.map((t) => [t.ok ? k.green('pass') : k.red('FAIL'), t.metric, t.expr, `(${t.value === null ? 'no data' : +t.value.toFixed(3)})`])))
  }
  out.push('', generatorLines(r, k))
  out.push('', verdictLine(r, k))
  return out.join('\n') + '\n'
}

/** defenseLines details the rate-limit oracle per policy (declared vs estimated, leak, false throttles) and the worst integrity posts. */
function defenseLines(r: RunResult, k: ChalkInstance): string[] {
  const pct = (v: number | null) => (v === null ? 'n/a' : `${+(v * 100).toFixed(2)}%`)
  const rows = Object.entries(r.ratelimit).map(([name, p]) => {
    const d = p.declared
    const per = d.perMs % 1000 === 0 ? `${d.perMs / 1000}s` : `${d.perMs}ms`
    const e = p.estimated
    const est = e.ratePerSec === null ? 'no estimate (no steady throttling)' : `estimated ${e.ratePerSec.toFixed(2)}/s burst ${e.burst!.toFixed(1)} (${e.keys} keys, ${e.samples} samples)`
    const leak = `leak ${pct(p.leak)} (${int(p.overAdmitted)} over)`
    const ra = p.headers.retryAfter.share === null ? '' : ` · Retry-After on ${pct(p.headers.retryAfter.share)} of throttles`
    return ['', name, `declared ${d.limit}/${per} burst ${d.burst} · ${est} · ${p.material.material ? k.red(leak) : leak} · false throttles ${int(p.falseThrottled)} (${pct(p.falseThrottleRate)})${ra}`]
  })
  const lines = rows.length ? [table(rows)] : []
  const i = r.integrity
  if (i) {
    const worst = i.perPost.filter((c) => c.overcount + c.undercount > 0).slice(0, 5)
    const range = (lo: number, hi: number) => (lo === hi ? String(lo) : `${lo}..${hi}`)
    if (worst.length) {
      lines.push(k.red(`  integrity: worst posts ${worst.map((c) => `#${c.post} ${c.observed} likes, expected ${range(c.expectedMin, c.expectedMax)}`).join(' · ')}`))
    }
    for (const n of i.notes) lines.push(k.dim(`  integrity: ${n}`))
  }
  return lines
}

function generatorLines(r: RunResult, k: ChalkInstance): string {
  const g = r.generator
  const line = `generator: cpu ${g.cpuPercent}% · event-loop delay p99 ${ms(g.eventLoopLagMs.p99)} · dispatch lag p99 ${ms(g.dispatchLagMs.p99)}`
  const notes = g.notes.map((n) => k.yellow(`note: ${n}`))
  if (!g.saturated) return [k.dim(`${line} · kept up with the schedule`), ...notes].join('\n')
  return [
    k.bgYellow.black(' WARNING: the load generator fell behind its own schedule '),
    k.yellow(`${line}`),
    k.yellow(`reasons: ${g.reasons.join('; ')}`),
    k.yellow('The figures above describe the generator, not the target: lower the rate (--rate-scale) or give likebench a core of its own.'),
    ...notes,
  ].join('\n')
}

function verdictLine(r: RunResult, k: ChalkInstance): string {
  switch (r.verdict) {
    case 'passed': return k.green.bold(`PASSED  ${r.reason}`)
    case 'failed': return k.red.bold(`FAILED  ${r.reason}`)
    case 'aborted': return k.yellow.bold(`ABORTED  ${r.reason}`)
  }
}

/** consoleReporter renders the human summary. */
export const consoleReporter: Reporter = {
  render: (r, o) => renderSummary(r, o.color),
}
