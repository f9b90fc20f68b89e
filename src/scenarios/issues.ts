import type * as z from 'zod'
import type { Problem } from '../errors.js'
import type { Locator, PathSeg } from './locate.js'
import { didYouMean } from '../suggest.js'

/**
 * Translating zod's issues into problems a person can act on: located at the text they
 * wrote, phrased in the scenario format's words, with a hint where one helps. zod's own
 * messages ("Invalid input: expected int, received number") are the fallback, never the rule.
 */

type Issue = z.core.$ZodIssue
type AnySchema = z.core.$ZodType

/** describe names a value's type the way a YAML author thinks of it. */
export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`
  return String(v)
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
}

function valueAt(root: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = root
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[seg]
  }
  return v
}

function def(s: AnySchema): Record<string, any> {
  return (s as any)._zod.def
}

/** unwrap looks through optional, default and pipe wrappers to the schema that has a shape. */
function unwrap(s: AnySchema): AnySchema {
  for (;;) {
    const d = def(s)
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable') s = d.innerType
    else if (d.type === 'pipe') s = d.in
    else return s
  }
}

/** fit scores how well `value` fits schema `s`: higher is better, negative means it cannot. */
function fit(s: AnySchema, value: unknown): number {
  const d = def(unwrap(s))
  if (d.type === 'union') return Math.max(...(d.options as AnySchema[]).map((o) => fit(o, value)))
  if (Array.isArray(value)) return d.type === 'array' ? 1 : -1
  if (value !== null && typeof value === 'object') {
    if (d.type === 'record') return 0
    if (d.type !== 'object') return -1
    const kind = (value as Record<string, unknown>).kind
    const lit = d.shape.kind ? def(unwrap(d.shape.kind)) : undefined
    if (lit?.type === 'literal') return lit.values.includes(kind) ? 100 : -1
    return Object.keys(value).filter((k) => k in d.shape).length
  }
  if (typeof value === 'string') return d.type === 'string' || d.type === 'enum' ? 1 : -1
  if (typeof value === 'number') return d.type === 'number' ? 1 : -1
  return -1
}

/** pickOption chooses the union member that fits `value` best (the first of equals). */
function pickOption(options: AnySchema[], value: unknown): AnySchema | undefined {
  let best: AnySchema | undefined
  let bestScore = -Infinity
  for (const o of options) {
    const score = fit(o, value)
    if (score > bestScore) [best, bestScore] = [o, score]
  }
  return best
}

/**
 * schemaAt walks a schema along a key path, following the data to pick union members.
 * It returns the schema as declared at the path (still wrapped in optional and meta), so
 * callers can read its description; `unwrap` it to see its shape.
 */
export function schemaAt(schema: AnySchema, root: unknown, path: readonly PathSeg[]): AnySchema | undefined {
  let s: AnySchema = schema
  for (let i = 0; i < path.length; i++) {
    let u = unwrap(s)
    while (def(u).type === 'union') {
      const o = pickOption(def(u).options, valueAt(root, path.slice(0, i)))
      if (!o) return undefined
      u = unwrap(o)
    }
    const d = def(u)
    const seg = path[i]!
    const next: AnySchema | undefined = d.type === 'object' ? d.shape[seg] : d.type === 'record' ? d.valueType : d.type === 'array' ? d.element : undefined
    if (!next) return undefined
    s = next
  }
  return s
}

/** objectAt resolves the object schema at a path, choosing union members by the data. */
function objectAt(schema: AnySchema, root: unknown, path: readonly PathSeg[]): Record<string, any> | undefined {
  const s = schemaAt(schema, root, path)
  if (!s) return undefined
  let u = unwrap(s)
  while (def(u).type === 'union') {
    const o = pickOption(def(u).options, valueAt(root, path))
    if (!o) return undefined
    u = unwrap(o)
  }
  return def(u).type === 'object' ? def(u) : undefined
}

function knownKeys(schema: AnySchema, root: unknown, path: readonly PathSeg[]): string[] {
  return Object.keys(objectAt(schema, root, path)?.shape ?? {}).filter((k) => k !== '$schema')
}

/** descriptionAt returns the description declared for the key at `path`, looking through wrappers. */
function descriptionAt(schema: AnySchema, root: unknown, path: readonly PathSeg[]): string | undefined {
  let s = schemaAt(schema, root, path)
  while (s) {
    const d = (s as any).meta?.()?.description as string | undefined
    if (d) return d
    const df = def(s)
    s = df.innerType ?? (df.type === 'pipe' ? df.in : undefined)
  }
  return undefined
}

/** typeAt names the type the schema wants at `path` (`number`, `boolean`, `string`, ...), choosing union members by the data. */
export function typeAt(schema: AnySchema, root: unknown, path: readonly PathSeg[]): string | undefined {
  const s = schemaAt(schema, root, path)
  return s ? def(unwrap(s)).type : undefined
}

/** UNIT_PARSERS maps the string schemas of units (durations, rates) to their parsers, for their own messages. */
export const UNIT_PARSERS = new WeakMap<object, (v: unknown) => { ok: boolean; message?: string; hint?: string }>()

/** toProblems turns zod's issues for `root` into located problems; the schema supplies "did you mean" choices. */
export function toProblems(issues: readonly Issue[], root: unknown, schema: AnySchema, loc: Locator, base: PathSeg[] = []): Problem[] {
  const out: Problem[] = []
  for (const issue of issues) out.push(...issueProblems(issue, root, schema, loc, base))
  return dropTypoEchoes(out)
}

/** dropTypoEchoes removes "x is required" where an unknown key next to it is a typo of x: one mistake, one problem. */
function dropTypoEchoes(ps: Problem[]): Problem[] {
  const typoed = new Set<string>()
  for (const p of ps) {
    const m = /^did you mean "([^"]+)"\?$/.exec(p.hint ?? '')
    if (m && p.message.startsWith('unknown key')) typoed.add(p.path.replace(/[^.]+$/, '') + m[1])
  }
  const echoes = (p: Problem) =>
    (p.message.endsWith(' is required') && typoed.has(p.path)) ||
    [...typoed].some((t) => t.replace(/\.[^.]+$/, '') === p.path && p.message.includes(` ${t.replace(/^.*\./, '')}:`))
  return ps.filter((p) => !echoes(p))
}

function issueProblems(issue: Issue, root: unknown, schema: AnySchema, loc: Locator, base: PathSeg[]): Problem[] {
  const path = [...base, ...(issue.path as PathSeg[])]
  const value = valueAt(root, path)
  const last = path[path.length - 1]
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const choices = knownKeys(schema, root, path)
        return loc.problem([...path, k], `unknown key "${k}"`, choices.length ? didYouMean(k, choices) : undefined, true)
      })
    case 'invalid_union': {
      if ((issue as any).discriminator) return [kindProblem(path, value, issue, loc)]
      const declared = schemaAt(schema, root, path)
      let options: AnySchema[] = declared && def(unwrap(declared)).type === 'union' ? def(unwrap(declared)).options : []
      let branches = issue.errors
      for (;;) {
        const allType = branches.every((b) => b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0)
        const chosen = pickOption(options, value)
        const branch = chosen ? branches[options.indexOf(chosen)] : undefined
        if (allType || !chosen || !branch) {
          const got = value === undefined ? 'nothing' : describe(value)
          return [loc.problem(path, `has the wrong form (got ${got})`, descriptionAt(schema, root, path))]
        }
        // A union directly inside a union (a stage, or a list of stages) reports one nested
        // invalid_union at the same path: descend into the member that fits the data.
        const inner = unwrap(chosen)
        const nested = branch.length === 1 && branch[0]!.code === 'invalid_union' && branch[0]!.path.length === 0 ? branch[0]! : undefined
        if (nested && def(inner).type === 'union') {
          options = def(inner).options
          branches = (nested as Issue & { errors: Issue[][] }).errors
          continue
        }
        return toProblems(branch, root, schema, loc, path)
      }
    }
    case 'invalid_type': {
      if (value === undefined) {
        const hint = descriptionAt(schema, root, path)
        return [loc.problem(path, `${String(last ?? 'the file')} is required`, hint)]
      }
      const declared = schemaAt(schema, root, path)
      const unitParse = declared ? UNIT_PARSERS.get(unwrap(declared)) : undefined
      if (unitParse) {
        const r = unitParse(value)
        if (!r.ok) return [loc.problem(path, r.message ?? 'has the wrong form', r.hint)]
      }
      const want = TYPE_WORDS[issue.expected] ?? issue.expected
      if (issue.expected === 'int' && typeof value === 'number') {
        return [loc.problem(path, `must be a whole number (got ${value})`)]
      }
      return [loc.problem(path, `expected ${want}, got ${describe(value)}`)]
    }
    case 'invalid_value': {
      const choices = issue.values.map(String)
      if (choices.length === 1) return [loc.problem(path, `must be ${choices[0]} (got ${describe(value)})`)]
      return [loc.problem(path, `${describe(value)} is not one of ${choices.join(', ')}`, typeof value === 'string' ? didYouMean(value, choices) : undefined)]
    }
    case 'too_small':
    case 'too_big':
      return [loc.problem(path, boundMessage(issue, value))]
    case 'custom': {
      const params = issue.params as { hint?: string; atKey?: boolean } | undefined
      return [loc.problem(path, issue.message, params?.hint, params?.atKey === true)]
    }
    default:
      return [loc.problem(path, issue.message.replace(/^Invalid input: /, ''))]
  }
}

function kindProblem(path: PathSeg[], value: unknown, issue: Issue, loc: Locator): Problem {
  const options = ((issue as any).options as unknown[]).map(String)
  if (value === undefined) return loc.problem(path.slice(0, -1), 'kind is required', `one of: ${options.join(', ')}`)
  return loc.problem(path, `unknown kind ${describe(value)}`, typeof value === 'string' ? didYouMean(value, options) : `one of: ${options.join(', ')}`)
}

function boundMessage(issue: Issue & { code: 'too_small' | 'too_big' }, value: unknown): string {
  const bound = (issue as any).minimum ?? (issue as any).maximum
  const small = issue.code === 'too_small'
  const origin = (issue as any).origin as string
  if (origin === 'array') return small ? `needs at least ${bound} item${bound === 1 ? '' : 's'}` : `has more than ${bound} items`
  if (origin === 'string') return small ? 'must not be empty' : `is longer than ${bound} characters`
  const op = small ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<'
  return `must be ${op} ${bound} (got ${describe(value)})`
}
