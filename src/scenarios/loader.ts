import { readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Scalar } from 'yaml'
import { ScenarioError, type Problem } from '../errors.js'
import { compile } from './compile.js'
import { lint } from './lint.js'
import { toProblems, typeAt } from './issues.js'
import { Locator, type PathSeg } from './locate.js'
import { ScenarioInput } from './schema.js'
import type { Plan } from './types.js'

/**
 * Loading a scenario: file → YAML document (with positions) → `${ENV}` interpolation →
 * shape validation (zod) → compiled Plan. Every stage collects every problem it can find,
 * so a user fixes a file in one pass; nothing here throws for a user's mistake except
 * loadScenario, which throws one ScenarioError holding them all.
 */

/** MAX_SCENARIO_BYTES bounds a scenario file; user lists belong in a CSV file. */
export const MAX_SCENARIO_BYTES = 1 << 20

/** CheckResult is the outcome of checking one file: a plan, or the problems that prevent one. */
export interface CheckResult {
  plan?: Plan
  problems: Problem[]
}

/** loadScenario reads, validates and compiles a scenario file, throwing a ScenarioError with every problem. */
export function loadScenario(file: string, env: NodeJS.ProcessEnv = process.env): Plan {
  const r = checkScenario(file, env)
  if (!r.plan) throw new ScenarioError(r.problems)
  return r.plan
}

/** checkScenario reads, validates and compiles a scenario file, returning its problems instead of throwing. */
export function checkScenario(file: string, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const read = readScenarioText(file)
  if (typeof read !== 'string') return { problems: [read] }
  return checkScenarioText(read, file, env)
}

/** checkScenarioText validates scenario text as if it were the file `file`. */
export function checkScenarioText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const whole = (message: string, hint?: string, line = 1, col = 1): CheckResult => ({
    problems: [{ file, line, col, path: '', message, ...(hint ? { hint } : {}) }],
  })
  if (text.trim() === '') return whole('the file is empty', 'start from scenarios/quickstart.yaml')
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length) {
    // Only the first syntax error: the ones after it are mostly echoes of the parser's confusion.
    const e = doc.errors[0]!
    const pos = lines.linePos(e.pos[0])
    const line = text.split('\n')[pos.line - 1] ?? ''
    const hint = /\{[\w.]+\}/.test(line) ? 'inside { } write values with {placeholders} or ${VARS} in quotes: path: "/v1/posts/{post}/likes"' : yamlHint(e.code)
    return { problems: [{ file, line: pos.line, col: pos.col, path: '', message: `not valid YAML: ${yamlMessage(e.message)}`, ...(hint ? { hint } : {}) }] }
  }
  if (doc.contents === null) return whole('the file has no content, only comments', 'start from scenarios/quickstart.yaml')
  const loc = new Locator(file, doc, lines)
  if (!isMapDoc(doc)) {
    return { problems: [loc.problem([], 'the top level must be a mapping of keys (name, target, actors, ...)', 'see scenarios/quickstart.yaml for the shape of a scenario')] }
  }
  const refs: PathSeg[][] = []
  const envProblems = interpolateEnv(doc, env, loc, refs)
  if (envProblems.length) return { problems: envProblems }
  const root: unknown = doc.toJS({ maxAliasCount: 100 })
  retypeEnvRefs(root, refs)
  const parsed = ScenarioInput.safeParse(root)
  const problems = parsed.success ? [] : toProblems(parsed.error.issues, root, ScenarioInput, loc)
  lint(root, dirname(file), (path, message, hint, atKey) => problems.push(loc.problem(path, message, hint, atKey)))
  if (!parsed.success || problems.length) return { problems: sortProblems(problems) }
  const r = compile(parsed.data, { file, dir: dirname(file), loc })
  return { ...r, problems: sortProblems(r.problems) }
}

/** readScenarioText reads a scenario file, or explains why it is not one (missing, a directory, binary, too large). */
export function readScenarioText(file: string): string | Problem {
  const at = (message: string, hint?: string): Problem => ({ file, line: 1, col: 1, path: '', message, ...(hint ? { hint } : {}) })
  let size: number
  try {
    const st = statSync(file)
    if (st.isDirectory()) return at('is a directory, not a scenario file', `pass a file such as ${file.replace(/\/$/, '')}/quickstart.yaml, or a glob: ${file.replace(/\/$/, '')}/*.yaml`)
    if (!st.isFile()) return at('is not a regular file')
    size = st.size
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'EACCES') return at('cannot be read (permission denied)')
    return at('file not found', 'check the path; scenario files are YAML, e.g. scenarios/quickstart.yaml')
  }
  if (size > MAX_SCENARIO_BYTES) {
    return at(`is ${(size / (1 << 20)).toFixed(1)} MiB; a scenario file may be at most 1 MiB`, 'keep large user lists in a CSV file: users: { file: users.csv }')
  }
  const buf = readFileSync(file)
  if (buf.includes(0)) return at('is a binary file, not YAML', 'a scenario is a YAML text file')
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf)
  if (text.includes('\uFFFD')) return at('is not UTF-8 text', 'save the file as UTF-8')
  return text.replace(/^\uFEFF/, '')
}

function isMapDoc(doc: Document): boolean {
  return isMap(doc.contents)
}

function yamlMessage(msg: string): string {
  return msg.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY': return 'each key may appear once in a mapping; merge the two'
    case 'TAB_AS_INDENT': return 'indent with spaces, not tabs'
    case 'BAD_INDENT':
    case 'MISSING_CHAR': return 'check the indentation, and that every bracket and quote opened above this point is closed'
    default: return undefined
  }
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * interpolateEnv replaces `${NAME}` and `${NAME:-default}` in every string scalar, and
 * records where a scalar was nothing but one reference (see retypeEnvRefs). An unset
 * variable without a default is a problem naming it.
 */
function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv, loc: Locator, refs: PathSeg[][]): Problem[] {
  const problems: Problem[] = []
  visit(doc, {
    Scalar(_key, node: Scalar, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return
      const original = node.value
      const replaced = original.replace(ENV_RE, (_m, name: string, fallback: string | undefined) => {
        const v = env[name]
        if (v !== undefined && v !== '') return v
        if (fallback !== undefined) return fallback
        const keyPath = pathOf(path, node)
        problems.push(loc.problem(keyPath, `environment variable ${name} is not set`, `export ${name}=..., or give a default: \${${name}:-value}`))
        return ''
      })
      if (replaced === original) return
      node.value = replaced
      if (/^\$\{[^}]*\}$/.test(original.trim())) refs.push(pathOf(path, node))
    },
  })
  return problems
}

/**
 * retypeEnvRefs gives environment values the type the schema asks for. Variables are text,
 * but `connections: ${CONN}` means a number: where a scalar was a single reference and the
 * schema wants a number or a boolean there, numeric or true/false text is converted.
 * Driven by the schema, so `name: ${BUILD}` stays text even when BUILD=1234.
 */
function retypeEnvRefs(root: unknown, refs: PathSeg[][]): void {
  for (const path of refs) {
    const want = typeAt(ScenarioInput, root, path)
    const parent = path.slice(0, -1).reduce<any>((o, k) => o?.[k], root)
    const last = path[path.length - 1]!
    const text = parent?.[last]
    if (typeof text !== 'string') continue
    if (want === 'boolean' && (text === 'true' || text === 'false')) parent[last] = text === 'true'
    else if (want === 'number' && /^-?\d+(\.\d+)?$/.test(text)) parent[last] = Number(text)
  }
}

/** pathOf reconstructs a scalar's key path from yaml's visitor ancestry (pairs give keys, lists give indices). */
function pathOf(ancestry: readonly unknown[], node: unknown): (string | number)[] {
  const chain = [...ancestry, node]
  const out: (string | number)[] = []
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i]
    const child = chain[i + 1]
    if (isPair(parent) && parent.value === child && isScalar(parent.key)) out.push(String(parent.key.value))
    else if (isSeq(parent)) out.push(parent.items.indexOf(child as never))
  }
  return out
}

function sortProblems(ps: Problem[]): Problem[] {
  return ps.sort((a, b) => a.line - b.line || a.col - b.col)
}
