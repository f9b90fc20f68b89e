import type { ActorResult, Counts, Finding, IntegrityResult, LatencySection, RateLimitResult, RunResult } from '../result.js'
import { measured, percent, share, splitExpr, statusClasses } from './figures.js'
import { htmlText, mdCode, mdFence, mdTable, mdText } from './md.js'
import { int, ms } from './table.js'
import type { Reporter } from './types.js'

/**
 * The Markdown summary a reviewer reads in a pull request or `$GITHUB_STEP_SUMMARY`: the
 * verdict first (and a saturated generator right under it, because then nothing below
 * describes the target), then the thresholds (measured vs budget), per-actor latency and
 * statuses, the defenses (findings, and the rate-limit oracle and integrity read-back when
 * the run has them), and the generator's health. Every table has a header, a separator and
 * rows of the header's width; every text from the scenario or the target is escaped.
 */

const ICON = { passed: '✅', failed: '❌', aborted: '⚠️' } as const

function header(r: RunResult): string {
  const target = r.target.builtin ? `built-in target ${mdCode(r.target.url)}` : mdCode(r.target.url)
  return [
    `## ${ICON[r.verdict]} likebench ${r.verdict.toUpperCase()}: ${mdText(r.scenario.name)}`,
    '',
    verdict(r),
    '',
    `${mdCode(r.scenario.file)} · seed ${r.scenario.seed} · ${target} · ${(r.durationMs / 1000).toFixed(1)}s · started ${r.startedAt} · run ${mdCode(r.runId)} · likebench ${mdText(r.likebench)}`,
  ].join('\n')
}

/** verdict says why: for a failed run, each failed threshold (measured vs budget) and each broken defense. */
function verdict(r: RunResult): string {
  const failed = r.thresholds.filter((t) => !t.ok)
  const broken = r.findings.filter((f) => !f.ok)
  if (r.verdict !== 'failed' || failed.length + broken.length === 0) return `**${r.verdict.toUpperCase()}**: ${mdText(r.reason)}`
  const counts = [failed.length && `${failed.length} threshold${failed.length === 1 ? '' : 's'}`, broken.length && `${broken.length} defense${broken.length === 1 ? '' : 's'}`]
  return [
    `**FAILED**: ${counts.filter(Boolean).join(' and ')} failed.`,
    '',
    ...failed.map((t) => {
      const { stat, op, budget } = splitExpr(t.expr)
      return `- threshold ${mdCode(t.metric)}: ${mdText(stat)} was **${mdText(measured(t))}**, budget ${mdText(`${op} ${budget}`)}`
    }),
    ...broken.map((f) => `- defense ${mdText(f.actor)} (${mdText(f.kind)}): ${mdText(f.message)}`),
  ].join('\n')
}

function saturation(r: RunResult): string[] {
  const g = r.generator
  if (!g.saturated) return []
  return [[
    '> [!WARNING]',
    '> **The load generator fell behind its own schedule**: the figures below describe the generator, not the target.',
    ...g.reasons.map((x) => `> - ${mdText(x)}`),
    '>',
    '> Lower the rate (`--rate-scale`) or give likebench a core of its own.',
  ].join('\n')]
}

function thresholds(r: RunResult): string[] {
  if (!r.thresholds.length) return []
  const rows = r.thresholds.map((t) => {
    const { stat, op, budget } = splitExpr(t.expr)
    return [t.ok ? '✅ pass' : '❌ **FAIL**', mdCode(t.metric), mdText(stat), mdText(`${op} ${budget}`.trim()), mdText(measured(t))]
  })
  return ['### Thresholds', mdTable(['result', 'metric', 'stat', 'budget', 'measured'], rows, ['l', 'l', 'l', 'r', 'r'])]
}

type Row = Counts & { latency: LatencySection; model?: ActorResult['model'] }

function actorRows(r: RunResult): Array<[string, Row]> {
  const rows: Array<[string, Row]> = Object.entries(r.actors).map(([name, a]) => [mdText(name), a])
  if (rows.length > 1) rows.push(['**all**', { ...r.totals, latency: r.latency }])
  return rows
}

function latency(r: RunResult): string[] {
  const rows = actorRows(r).map(([name, a]) => {
    const l = a.latency.corrected
    return [name, a.model ?? '', int(a.requests), `${a.rps.toFixed(1)}/s`, ms(l.p50), ms(l.p90), ms(l.p95), ms(l.p99), ms(l.max)]
  })
  const u = r.latency.uncorrected
  return [
    '### Latency',
    mdTable(['actor', 'model', 'requests', 'rate', 'p50', 'p90', 'p95', 'p99', 'max'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
    `Corrected latency: measured from when each request was due, not when it was sent. Uncorrected p50 ${ms(u.p50)}, p99 ${ms(u.p99)}; send lag p99 ${ms(r.latency.sendLag.p99)}.`,
  ]
}

function statuses(r: RunResult): string[] {
  const rows = actorRows(r).map(([name, a]) => {
    const c = statusClasses(a.status)
    const codes = Object.entries(a.status).sort(([x], [y]) => Number(x) - Number(y)).map(([code, n]) => `${code}: ${int(n)}`).join(', ')
    const kinds = Object.entries(a.errorKinds).filter(([, n]) => n).map(([k, n]) => `${k}: ${int(n ?? 0)}`).join(', ')
    return [name, int(a.requests), int(c.x2), int(a.rejected), int(a.throttled), int(c.x5), int(a.errors), percent(share(a.errors, a.requests)),
      percent(share(a.throttled, a.requests)), int(a.dropped), mdText(codes || '-'), mdText(kinds || '-')]
  })
  const head = ['actor', 'requests', '2xx', 'rejected', 'throttled', '5xx', 'errors', 'error rate', 'throttle rate', 'dropped', 'statuses', 'transport errors']
  return [
    '### Statuses',
    mdTable(head, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l']),
    'Errors are transport failures and 5xx; throttled answers (429 unless the scenario says otherwise) are not errors; rejected are other 4xx.',
  ]
}

function evidence(f: Finding): string {
  return [`<details><summary>evidence: ${htmlText(f.actor)} (${htmlText(f.kind)})</summary>`, '', mdFence(JSON.stringify(f.evidence, null, 2), 'json'), '', '</details>'].join('\n')
}

function findings(r: RunResult): string[] {
  if (!r.findings.length) return []
  const rows = r.findings.map((f) => [f.ok ? '✅ held' : '❌ **BROKEN**', mdText(f.actor), mdText(f.kind), mdText(f.message)])
  return ['#### Findings', mdTable(['result', 'actor', 'kind', 'finding'], rows), ...r.findings.filter((f) => !f.ok).map(evidence)]
}

function declared(p: RateLimitResult): string {
  const per = p.declared.perMs % 1000 === 0 ? `${p.declared.perMs / 1000}s` : `${p.declared.perMs}ms`
  return `${p.declared.limit}/${per}, burst ${p.declared.burst}`
}

function ratelimits(r: RunResult): string[] {
  const policies = Object.entries(r.ratelimit)
  if (!policies.length) return []
  const oracle = policies.map(([name, p]) => [mdText(name), mdText(p.key), mdText(declared(p)), int(p.keys), int(p.sent), int(p.admitted),
    int(p.allowed), int(p.overAdmitted), percent(p.leak), int(p.falseThrottled), percent(p.falseThrottleRate), p.material.material ? '❌ **leaked**' : '✅ held'])
  const seen = policies.map(([name, p]) => {
    const rem = p.headers.rateLimitRemaining
    return [mdText(name), p.estimated.ratePerSec === null ? '-' : `${p.estimated.ratePerSec.toFixed(2)}/s`,
      p.estimated.burst === null ? '-' : p.estimated.burst.toFixed(1), ms(p.firstThrottleMs.count ? p.firstThrottleMs.p50 : null),
      percent(p.headers.retryAfter.share), rem.decreasing === null ? '-' : rem.decreasing ? 'decreases' : '**does not decrease**']
  })
  return [
    '#### Rate limits',
    mdTable(['policy', 'key', 'declared', 'keys', 'sent', 'admitted', 'allowed', 'over-admitted', 'leak', 'false-throttled', 'false-throttle rate', 'held'],
      oracle, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']),
    'What the target showed from the outside:',
    mdTable(['policy', 'estimated rate', 'estimated burst', 'first 429 (p50)', 'usable Retry-After', 'RateLimit-Remaining'], seen, ['l', 'r', 'r', 'r', 'r', 'l']),
  ]
}

function integrity(i: IntegrityResult | null): string[] {
  if (i === null) return []
  const range = (lo: number, hi: number) => (lo === hi ? int(lo) : `${int(lo)}..${int(hi)}`)
  const ok = i.overcount === 0 && i.undercount === 0
  const out = [
    '#### Integrity',
    mdTable(['checked posts', 'touched', 'unread', 'user-post pairs', 'ambiguous', 'expected', 'observed', 'overcount', 'undercount', 'held'],
      [[int(i.posts), int(i.touched), int(i.unread), int(i.pairs), int(i.ambiguous), range(i.expectedMin, i.expectedMax), int(i.observed),
        int(i.overcount), int(i.undercount), i.posts === 0 ? '-' : ok ? '✅ held' : '❌ **miscounted**']], ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']),
  ]
  const wrong = i.perPost.filter((p) => p.overcount || p.undercount)
  if (wrong.length) {
    out.push(mdTable(['post', 'before', 'expected', 'observed', 'overcount', 'undercount', 'ambiguous'],
      wrong.map((p) => [String(p.post), int(p.before), range(p.expectedMin, p.expectedMax), int(p.observed), int(p.overcount), int(p.undercount), int(p.ambiguous)]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r']))
  }
  if (i.notes.length) out.push(i.notes.map((n) => `- ${mdText(n)}`).join('\n'))
  return out
}

function defenses(r: RunResult): string[] {
  const parts = [...findings(r), ...ratelimits(r), ...integrity(r.integrity)]
  return parts.length ? ['### Defenses', ...parts] : []
}

function generator(r: RunResult): string[] {
  const g = r.generator
  const row = [`${g.cpuPercent}%`, ms(g.eventLoopLagMs.p99), ms(g.dispatchLagMs.p99), ms(g.sendLagMs.p99), String(g.workers), g.saturated ? '⚠️ **no: saturated**' : '✅ yes']
  const out = ['### Load generator', mdTable(['cpu', 'event-loop delay p99', 'dispatch lag p99', 'send lag p99', 'workers', 'kept up'], [row], ['r', 'r', 'r', 'r', 'r', 'l'])]
  const bullets = [...(g.saturated ? g.reasons.map((x) => `- ⚠️ ${mdText(x)}`) : []), ...g.notes.map((n) => `- note: ${mdText(n)}`)]
  if (bullets.length) out.push(bullets.join('\n'))
  return out
}

/** renderMarkdown renders a result as a GitHub-flavoured Markdown summary. */
export function renderMarkdown(r: RunResult): string {
  const blocks = [header(r), ...saturation(r), ...thresholds(r), ...latency(r), ...statuses(r), ...defenses(r), ...generator(r)]
  return blocks.join('\n\n') + '\n'
}

/** markdownReporter renders the Markdown summary for CI. */
export const markdownReporter: Reporter = {
  render: (r) => renderMarkdown(r),
}
