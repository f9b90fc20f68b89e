/**
 * Error classes of failed requests (STYLE rule 8): a failed request is data, classified by
 * its `code` into a small fixed set of kinds that counters can index and reports can name.
 */

/** ERROR_KINDS lists every kind a failed request can end as, in the order counters store them. */
export const ERROR_KINDS = ['timeout', 'refused', 'reset', 'protocol', 'fd_exhausted', 'aborted', 'other'] as const

/**
 * ErrorKind is why a request failed: `timeout` (connect, headers or body took too long),
 * `refused` (nothing listening, or unreachable), `reset` (the connection dropped),
 * `protocol` (the reply was not valid HTTP), `fd_exhausted` (the load generator ran out of
 * sockets: its problem, not the target's), `aborted` (likebench itself cancelled it, e.g. on
 * Ctrl-C; not the target's fault either) or `other`.
 */
export type ErrorKind = (typeof ERROR_KINDS)[number]

/** ERROR_INDEX maps a kind to its slot in ERROR_KINDS, for fixed-size counters. */
export const ERROR_INDEX: Readonly<Record<ErrorKind, number>> = Object.fromEntries(
  ERROR_KINDS.map((k, i) => [k, i]),
) as Record<ErrorKind, number>

const BY_CODE: Readonly<Record<string, ErrorKind>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'protocol',
  EMFILE: 'fd_exhausted',
  ENFILE: 'fd_exhausted',
  // Linux answers EADDRNOTAVAIL when the ephemeral ports run out: the generator is exhausted.
  EADDRNOTAVAIL: 'fd_exhausted',
  UND_ERR_ABORTED: 'aborted',
  UND_ERR_ABORT: 'aborted',
  ABORT_ERR: 'aborted',
  UND_ERR_DESTROYED: 'aborted',
  UND_ERR_CLOSED: 'aborted',
}

/** codeKind classifies one error object by its code or name, without looking at causes. */
function codeKind(err: { code?: unknown; name?: unknown }): ErrorKind | undefined {
  const code = err.code
  if (typeof code === 'string') {
    const kind = BY_CODE[code]
    if (kind !== undefined) return kind
    if (code.startsWith('HPE_')) return 'protocol' // llhttp parser errors: the bytes were not HTTP
  }
  if (err.name === 'HTTPParserError') return 'protocol' // undici leaves `code` unset for some parser failures
  if (err.name === 'TimeoutError') return 'timeout' // AbortSignal.timeout()
  if (err.name === 'AbortError') return 'aborted'
  return undefined
}

/** classify maps a transport error to its ErrorKind by `code`, looking through `cause` and AggregateError. */
export function classify(err: unknown): ErrorKind {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const kind = codeKind(e)
    if (kind !== undefined) return kind
    // Happy-eyeballs connects fail with an AggregateError of per-address errors.
    const inner: unknown = e instanceof AggregateError ? e.errors[0] : (e as { cause?: unknown }).cause
    e = inner
  }
  return 'other'
}
