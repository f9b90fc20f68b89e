import { readFileSync } from 'node:fs'
import { ExitCode, LikebenchError } from '../errors.js'
import { RESULT_SCHEMA_VERSION, RunResultSchema, type RunResult } from '../result.js'

/**
 * Reading a saved result (what `likebench run --out` wrote) for `report` and `compare`: a
 * file that is missing, not JSON, or not a likebench result is a usage error with a hint,
 * never a stack trace.
 */

const HINT = 'pass the JSON file that `likebench run --out FILE` wrote'

/**
 * loadResult reads and validates a result file. It returns the document as parsed, not
 * zod's copy of it, so a report rendered from it is byte for byte the one `run` rendered
 * from the same JSON.
 */
export function loadResult(file: string): RunResult {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message
    throw new LikebenchError('LB_RESULT_UNREADABLE', `cannot read the result ${file}: ${why}`, { hint: HINT, exitCode: ExitCode.usage })
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new LikebenchError('LB_RESULT_NOT_JSON', `${file} is not JSON: ${(e as Error).message}`, { hint: HINT, exitCode: ExitCode.usage })
  }
  const fields = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {}
  if ('likebench' in fields && typeof fields.schema === 'number' && fields.schema !== RESULT_SCHEMA_VERSION) {
    throw new LikebenchError('LB_RESULT_VERSION', `${file} is a likebench result of schema ${fields.schema}; this likebench reads schema ${RESULT_SCHEMA_VERSION}`, {
      hint: 'render it with the likebench version that wrote it (its "likebench" field), or run the scenario again', exitCode: ExitCode.usage,
    })
  }
  if (!('likebench' in fields) || !('schema' in fields)) {
    throw new LikebenchError('LB_RESULT_INVALID', `${file} is not a likebench result: it has no "likebench" and "schema" fields`, { hint: HINT, exitCode: ExitCode.usage })
  }
  const parsed = RunResultSchema.safeParse(doc)
  if (!parsed.success) {
    const issues = parsed.error.issues
    const shown = issues.slice(0, 3).map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''
    throw new LikebenchError('LB_RESULT_INVALID', `${file} is not a likebench result: ${shown.join('; ')}${more}`, { hint: HINT, exitCode: ExitCode.usage })
  }
  return doc as RunResult
}
