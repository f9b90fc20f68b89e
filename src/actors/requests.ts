import { VERSION } from '../version.js'
import type { ApiPlan, EndpointTemplate } from '../scenarios/types.js'
import type { Users } from '../identities/users.js'
import type { Outgoing } from './types.js'
import type { Dispatcher } from 'undici'

/**
 * Building requests from the scenario's api templates. Templates are split into parts once;
 * a path per post and a header list per user are rendered the first time they are needed
 * and kept (paths per post id, headers in a bounded direct-mapped cache), so the hot path
 * mostly indexes into arrays instead of formatting strings.
 */

type Part = string | ((user: number, post: number) => string)

/** compileTemplate splits `text` at its {placeholders} into constant strings and lookups. */
export function compileTemplate(text: string, users: Users, runId: string): (user: number, post: number) => string {
  const parts: Part[] = []
  let last = 0
  for (const m of text.matchAll(/\{([^{}]*)\}/g)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    parts.push(lookup(m[1]!, users, runId))
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  if (parts.every((p) => typeof p === 'string')) {
    const constant = parts.join('')
    return () => constant
  }
  return (user, post) => {
    let s = ''
    for (const p of parts) s += typeof p === 'string' ? p : p(user, post)
    return s
  }
}

function lookup(name: string, users: Users, runId: string): (user: number, post: number) => string {
  switch (name) {
    case 'post': return (_u, post) => String(post)
    case 'user.id': return (u) => (u >= 0 ? users.id(u) : '')
    case 'user.token': return (u) => (u >= 0 ? users.token(u) : '')
    case 'run.id': return () => runId
    default: throw new Error(`unknown placeholder {${name}}: the loader should have refused it`)
  }
}

/** USER_AGENT identifies likebench's traffic (DESIGN.md section 7). */
export const USER_AGENT = `likebench/${VERSION}`

const HEADER_CACHE = 1 << 14

/** Templates renders every endpoint of the api for a user and a post. */
export class Templates {
  private readonly paths: Array<Array<string | undefined>> = []
  private readonly renderPath: Array<(u: number, p: number) => string> = []
  private readonly pathNeedsUser: boolean[] = []
  private readonly bodies: Array<((u: number, p: number) => string) | undefined> = []
  private readonly methods: Dispatcher.HttpMethod[] = []
  private readonly headerTemplates: Array<[string, (u: number, p: number) => string]>
  private readonly cacheOwner = new Int32Array(HEADER_CACHE).fill(-2)
  private readonly cacheHeaders: string[][] = new Array<string[]>(HEADER_CACHE)
  /** Headers every request carries: the user agent and the run id. */
  readonly baseHeaders: string[]

  constructor(api: ApiPlan, users: Users, readonly runId: string) {
    const eps: Array<EndpointTemplate | undefined> = [api.like, api.unlike, api.read, api.login]
    eps.forEach((ep, i) => {
      this.methods[i] = (ep?.method ?? 'GET') as Dispatcher.HttpMethod
      this.renderPath[i] = compileTemplate(ep?.path ?? '/', users, runId)
      this.pathNeedsUser[i] = /\{user\./.test(ep?.path ?? '')
      this.bodies[i] = ep?.body === undefined ? undefined : compileTemplate(ep.body, users, runId)
      this.paths[i] = []
    })
    this.headerTemplates = Object.entries(api.headers).map(([k, v]) => [k.toLowerCase(), compileTemplate(v, users, runId)])
    this.baseHeaders = ['user-agent', USER_AGENT, 'x-likebench-run', runId]
  }

  /** method returns the HTTP method of an endpoint. */
  method(endpoint: number): Dispatcher.HttpMethod {
    return this.methods[endpoint]!
  }

  /** path returns the path of `endpoint` for `post` (and `user`, when the template names one). */
  path(endpoint: number, user: number, post: number): string {
    if (this.pathNeedsUser[endpoint]) return this.renderPath[endpoint]!(user, post)
    const cache = this.paths[endpoint]!
    return (cache[post] ??= this.renderPath[endpoint]!(user, post))
  }

  /** body returns the request body of `endpoint`, or undefined when it has none. */
  body(endpoint: number, user: number, post: number): string | undefined {
    return this.bodies[endpoint]?.(user, post)
  }

  /** headers returns the flat header list of `user` (-1: the api's headers without a user). Do not mutate it. */
  headers(user: number): string[] {
    const slot = (user + 1) & (HEADER_CACHE - 1)
    if (this.cacheOwner[slot] === user) return this.cacheHeaders[slot]!
    const h = this.build(user)
    this.cacheOwner[slot] = user
    this.cacheHeaders[slot] = h
    return h
  }

  /** build renders the header list of `user` (with `extra` name/value pairs appended). */
  build(user: number, extra?: readonly string[]): string[] {
    const h = this.baseHeaders.slice()
    for (const [name, render] of this.headerTemplates) {
      const v = render(user, 0)
      // A header whose value comes out empty (no user for {user.token}) is left out, not sent blank.
      if (v.trim() !== '' && !/^bearer\s*$/i.test(v.trim())) h.push(name, v)
    }
    if (extra) h.push(...extra)
    return h
  }

  /** request builds the Outgoing for a plain request of `user` to `endpoint` about `post`. */
  request(endpoint: number, user: number, post: number): Outgoing {
    const body = this.body(endpoint, user, post)
    const headers = body === undefined ? this.headers(user) : [...this.headers(user), 'content-type', 'application/json']
    return { method: this.method(endpoint), path: this.path(endpoint, user, post), headers, body: body ?? null, endpoint, source: 0, user, post, ip: -1, token: user }
  }
}

