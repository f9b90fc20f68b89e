import { Endpoint } from '../actors/types.js'
import type { Templates } from '../actors/requests.js'
import type { ApiPlan } from '../scenarios/types.js'
import { createPool } from '../transport/pool.js'
import { send } from '../transport/send.js'

/**
 * Reading like counts for the integrity check: GET api.read.path for each post, the count at
 * the dot path api.read.count of the JSON body. Reads go through a pool of their own, so they
 * never appear in the run's metrics, with user 0's headers and the run id suffixed `.read`
 * (still identifiable, but not mistaken for the run's traffic by the target's arrival log).
 * A read that fails, is throttled, or has no number at the path is unknown (undefined), never 0.
 * When the first READ_CONCURRENCY reads all fail and none succeeded, the rest are not tried:
 * a target that hangs or refuses reads would otherwise cost a timeout per post.
 */

/** READ_CONCURRENCY is how many reads are in flight at once. */
export const READ_CONCURRENCY = 8
const MAX_BODY = 64 * 1024

/** ReadOptions say where and how to read counts. */
export interface ReadOptions {
  url: string
  api: ApiPlan
  templates: Templates
  throttleStatus: readonly number[]
  timeoutMs: number
}

/** Counts are the counts read, by post; undefined where the count could not be read. */
export type Counts = Map<number, number | undefined>

/** CountReader reads the counts of posts, reusing one pool for the before and after reads. */
export class CountReader {
  private readonly pool
  private readonly headers: string[]
  /** Why reads failed, by reason, for the notes. */
  readonly failures = new Map<string, number>()
  private succeeded = 0
  private failed = 0

  constructor(private readonly o: ReadOptions) {
    this.pool = createPool(o.url, { connections: READ_CONCURRENCY, timeoutMs: o.timeoutMs })
    const h = o.templates.headers(0).slice()
    for (let i = 0; i + 1 < h.length; i += 2) if (h[i] === 'x-likebench-run') h[i + 1] = `${o.templates.runId}.read`
    this.headers = h
  }

  /** read reads every post's count, READ_CONCURRENCY at a time. */
  async read(posts: readonly number[]): Promise<Counts> {
    const out: Counts = new Map()
    let next = 0
    const worker = async () => {
      while (next < posts.length) {
        if (this.succeeded === 0 && this.failed >= READ_CONCURRENCY) {
          this.failures.set('not tried after the first reads failed', posts.length - next)
          next = posts.length
          break
        }
        const post = posts[next++]!
        out.set(post, await this.readOne(post))
      }
    }
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, posts.length) }, worker))
    return out
  }

  private async readOne(post: number): Promise<number | undefined> {
    const t = this.o.templates
    const r = await send(this.pool, {
      method: t.method(Endpoint.read), path: t.path(Endpoint.read, 0, post), headers: this.headers, readBody: MAX_BODY,
    })
    if (r.error !== null) return this.fail(`failed (${r.error})`)
    if (this.o.throttleStatus.includes(r.status)) return this.fail(`throttled (${r.status})`)
    if (r.status < 200 || r.status >= 300) return this.fail(`answered ${r.status}`)
    const count = countAt(r.body, this.o.api.read.count)
    if (count === undefined) return this.fail(`no number at "${this.o.api.read.count}"`)
    this.succeeded++
    return count
  }

  private fail(why: string): undefined {
    this.failed++
    this.failures.set(why, (this.failures.get(why) ?? 0) + 1)
    return undefined
  }

  /** failureNote describes the failed reads in one line, or undefined when none failed. */
  failureNote(): string | undefined {
    if (this.failures.size === 0) return undefined
    const parts = [...this.failures].map(([why, n]) => `${n} ${why}`)
    return `count reads that gave no count: ${parts.join(', ')}`
  }

  /** close ends the pool. */
  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined)
  }
}

/** countAt reads a non-negative integer at dot path `path` of a JSON text, or undefined. */
export function countAt(body: string | undefined, path: string): number | undefined {
  if (body === undefined) return undefined
  let v: unknown
  try {
    v = JSON.parse(body)
  } catch {
    return undefined
  }
  for (const part of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[part]
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v)
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined
}
