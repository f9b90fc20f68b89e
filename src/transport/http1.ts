/**
 * HTTP/1.1 on the wire for the raw-socket transports (transport/fast.ts, transport/race.ts): a
 * minimal, strict response parser that hands the head and body to a sink as they arrive, and
 * the error both directions fail with (the request side is transport/request-head.ts).
 *
 * Written for the hot path: the head's first KiB is decoded once to a latin1 string and
 * searched there; the body is never copied (the sink gets views of the received chunk); chunk
 * sizes are read byte by byte into a number. Responses may be split at any byte, and several
 * may share a buffer (execute returns where the first ended). What it does not accept fails
 * with an llhttp-style `HPE_*` code, which transport/classify.ts counts as `protocol`.
 *
 * Strict where it matters: HTTP/1.0 or 1.1 and a three-digit status; header names are tokens;
 * lines end in CRLF (a bare LF or an obs-fold line is an error; a lone CR inside a value is
 * kept); Content-Length is digits, agrees with itself and never comes with Transfer-Encoding
 * (a smuggling shape); chunk sizes are hex, chunks end in CRLF. 1xx heads are skipped (101 is
 * an error: nothing asks to upgrade); HEAD, 204 and 304 answers have no body; a body with
 * neither length nor chunking runs until the connection closes (finish()).
 */

/** TransportError is a failed exchange with a stable `code` that transport/classify.ts maps to an ErrorKind. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

/** ResponseSink receives a response as it is parsed; the buffers it gets are views of received bytes. */
export interface ResponseSink {
  /** onHead gets a final (non-1xx) head: the status, the raw [name, value, …] headers as latin1 strings, and the reason phrase. */
  onHead(status: number, rawHeaders: string[], statusText: string): void
  /** onBody gets the next piece of the (de-chunked) body: a view, not a copy. */
  onBody(chunk: Buffer): void
}

/** NEED_MORE is what execute returns when the response is not complete yet. */
export const NEED_MORE = -1
/** FAILED is what execute returns when the bytes are not an acceptable response; see errorCode. */
export const FAILED = -2

/** MAX_HEAD_BYTES bounds a response head (and a chunked body's trailers), as Node's default max header size does. */
export const MAX_HEAD_BYTES = 16 * 1024
/** KEEP_ALIVE_THRESHOLD_MS is how long before a server's announced keep-alive timeout a connection counts as expired (undici's default). */
export const KEEP_ALIVE_THRESHOLD_MS = 2000

const [HEAD, LENGTH, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA] = [0, 1, 2, 3, 4, 5, 6] as const
const [CHUNK_DATA_CR, CHUNK_DATA_LF, TRAILER, TRAILER_LINE, TRAILER_LF, END_LF, DONE] = [7, 8, 9, 10, 11, 12, 13] as const
const [CR, LF, SP, HTAB, SEMI] = [13, 10, 32, 9, 59] as const
const TERMINATOR = Buffer.from('\r\n\r\n', 'latin1')
const PREFIX = 'HTTP/1.'
/** How much of a chunk is decoded to look for the end of a head in it. */
const SCAN = 1024
/** Up to 12 hex digits: a chunk of up to 256 TiB, well inside a double's exact integers. */
const MAX_CHUNK_DIGITS = 12

/** tchar per RFC 9110 §5.6.2, as a lookup table. */
const TOKEN = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1
const HEX = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = HEX['0123456789ABCDEF'.charCodeAt(i)] = i

/**
 * ResponseParser reads one HTTP/1.x response at a time into a ResponseSink. Call reset()
 * before each request, execute() with each received chunk, and finish() when the connection
 * closes. After a FAILED return, errorCode and errorMessage say why.
 */
export class ResponseParser {
  /** The final response's status (0 before its head arrived). */
  status = 0
  /** Whether the connection may carry another request after this response. */
  keepAlive = true
  /** The keep-alive timeout the server announced in this response (Keep-Alive: timeout=N), in ms; 0 when it announced none. */
  keepAliveMs = 0
  /** Whether any byte of the current response has arrived. */
  started = false
  /** Why the last execute() returned FAILED: an HPE_* (or UND_ERR_HEADERS_OVERFLOW) code. */
  errorCode = ''
  errorMessage = ''
  private state: number = HEAD
  private noBody = false
  /** Body bytes left in a Content-Length body or a chunk; the chunk size being read in CHUNK_SIZE. */
  private remaining = 0
  private digits = 0
  private extra = 0
  /** Head bytes carried over from earlier chunks (null when the head starts in the current one). */
  private acc: Buffer | null = null
  private accLen = 0

  constructor(
    private readonly sink: ResponseSink,
    private readonly maxHead = MAX_HEAD_BYTES,
  ) {}

  /** reset readies the parser for the next response; `noBody` for the answer to a HEAD request. */
  reset(noBody: boolean): void {
    this.status = 0
    this.keepAlive = true
    this.keepAliveMs = 0
    this.started = false
    this.state = HEAD
    this.noBody = noBody
    this.accLen = 0
    this.errorCode = ''
  }

  /** inBody says the head has been handed to the sink and the body is still arriving. */
  get inBody(): boolean {
    return this.state !== HEAD && this.state !== DONE
  }

  /**
   * execute parses `chunk` from `off`: it returns the offset just past the response when the
   * response is complete (bytes after it belong to whatever comes next), NEED_MORE when it
   * needs more bytes, or FAILED. Exceptions thrown by the sink propagate.
   */
  execute(chunk: Buffer, off = 0): number {
    if (off < chunk.length) this.started = true
    let i = off
    for (;;) {
      switch (this.state) {
        case HEAD:
          i = this.accLen === 0 ? this.head(chunk, i) : this.headContinued(chunk, i)
          if (i < 0) return i
          break
        case LENGTH: {
          const n = Math.min(this.remaining, chunk.length - i)
          if (n > 0) this.sink.onBody(i === 0 && n === chunk.length ? chunk : chunk.subarray(i, i + n))
          i += n
          this.remaining -= n
          if (this.remaining > 0) return NEED_MORE
          this.state = DONE
          return i
        }
        case UNTIL_CLOSE:
          if (i < chunk.length) this.sink.onBody(i === 0 ? chunk : chunk.subarray(i))
          return NEED_MORE
        case DONE:
          return i
        default:
          return this.chunked(chunk, i)
      }
    }
  }

  /** finish tells the parser the connection closed; true when that completes the response (a body delimited by the close). */
  finish(): boolean {
    if (this.state !== UNTIL_CLOSE) return false
    this.state = DONE
    return true
  }

  private fail(code: string, message: string): number {
    this.errorCode = code
    this.errorMessage = message
    return FAILED
  }

  /**
   * head handles a head that starts in `chunk` at `i` (the common case: it is all there). The
   * first KiB is decoded once and searched as a string, which is cheaper than a Buffer search
   * and then a decode; a longer head falls back to searching the bytes.
   */
  private head(chunk: Buffer, i: number): number {
    while (i < chunk.length && (chunk[i] === CR || chunk[i] === LF)) i++ // stray CRLFs between messages, as llhttp allows
    const n = chunk.length - i
    if (n === 0) return NEED_MORE
    let s = latin1(chunk, i, i + Math.min(n, SCAN))
    let end = s.indexOf('\r\n\r\n')
    if (end < 0 && n > SCAN) {
      end = chunk.indexOf(TERMINATOR, i) - i
      if (end >= 0) s = latin1(chunk, i, i + end + TERMINATOR.length)
    }
    if (end >= 0) {
      const r = this.parseHead(s, end)
      return r < 0 ? r : i + r
    }
    // Not all there: refuse early what cannot become a status line, keep the rest.
    if (!PREFIX.startsWith(s.slice(0, PREFIX.length))) return this.fail('HPE_INVALID_CONSTANT', 'expected HTTP/1.x')
    if (n > this.maxHead) return this.fail('UND_ERR_HEADERS_OVERFLOW', 'response head too large')
    if (this.acc === null || this.acc.length < n) this.acc = Buffer.allocUnsafe(Math.max(1024, n * 2))
    chunk.copy(this.acc, 0, i)
    this.accLen = n
    return NEED_MORE
  }

  /** headContinued appends `chunk` to a head that began in earlier chunks. */
  private headContinued(chunk: Buffer, i: number): number {
    const before = this.accLen
    const take = Math.min(chunk.length - i, this.maxHead + TERMINATOR.length - before)
    let acc = this.acc!
    if (before + take > acc.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxHead + TERMINATOR.length, Math.max(acc.length * 2, before + take)))
      acc.copy(grown, 0, 0, before)
      this.acc = acc = grown
    }
    chunk.copy(acc, before, i, i + take)
    this.accLen = before + take
    const s = latin1(acc, 0, this.accLen)
    const end = s.indexOf('\r\n\r\n', Math.max(0, before - 3))
    if (end < 0) {
      if (!PREFIX.startsWith(s.slice(0, PREFIX.length))) return this.fail('HPE_INVALID_CONSTANT', 'expected HTTP/1.x')
      return this.accLen >= this.maxHead ? this.fail('UND_ERR_HEADERS_OVERFLOW', 'response head too large') : NEED_MORE
    }
    this.accLen = 0
    const r = this.parseHead(s, end)
    // parseHead counts from the start of acc: map it back to the chunk.
    return r < 0 ? r : i + (r - before)
  }

  /** parseHead reads the head at the start of `s` (CRLFCRLF at `end`; bytes after it are ignored) and returns its length. */
  private parseHead(s: string, end: number): number {
    if (end > this.maxHead) return this.fail('UND_ERR_HEADERS_OVERFLOW', 'response head too large')
    if (!s.startsWith(PREFIX)) return this.fail('HPE_INVALID_CONSTANT', 'expected HTTP/1.x')
    const minor = s.charCodeAt(7) - 48
    if ((minor !== 0 && minor !== 1) || s.charCodeAt(8) !== SP) return this.fail('HPE_INVALID_VERSION', 'not HTTP/1.0 or HTTP/1.1')
    const d0 = s.charCodeAt(9) - 48
    const d1 = s.charCodeAt(10) - 48
    const d2 = s.charCodeAt(11) - 48
    if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return this.fail('HPE_INVALID_STATUS', 'bad status code')
    const status = d0 * 100 + d1 * 10 + d2
    const eol = lineEnd(s, 12, end)
    if (eol < 0) return this.fail('HPE_LF_EXPECTED', 'bare LF in the status line')
    if (eol > 12 && s.charCodeAt(12) !== SP) return this.fail('HPE_INVALID_STATUS', 'bad status line')
    const next = end + TERMINATOR.length
    if (status < 200) {
      if (status === 101) return this.fail('HPE_INVALID_STATUS', 'unexpected 101 Switching Protocols')
      return next // an interim response: the final one follows
    }
    const raw: string[] = []
    let length = -1
    let chunked = false
    let coded = false
    let keepAlive = minor === 1
    for (let pos = eol + 2; pos < end; ) {
      const e = lineEnd(s, pos, end)
      if (e < 0) return this.fail('HPE_LF_EXPECTED', 'bare LF in a header line')
      const colon = s.indexOf(':', pos)
      if (colon <= pos || colon >= e) return this.fail('HPE_INVALID_HEADER_TOKEN', 'header line without a name')
      for (let k = pos; k < colon; k++) if (TOKEN[s.charCodeAt(k)] !== 1) return this.fail('HPE_INVALID_HEADER_TOKEN', 'invalid header name')
      let vs = colon + 1
      let ve = e
      while (vs < ve && isOws(s.charCodeAt(vs))) vs++
      while (ve > vs && isOws(s.charCodeAt(ve - 1))) ve--
      const name = s.slice(pos, colon)
      const value = s.slice(vs, ve)
      raw.push(name, value)
      // Only four names matter for framing: compare by length, then without allocating.
      const len = colon - pos
      if (len === 14 && nameIs(s, pos, 'content-length')) {
        if (!/^\d{1,15}$/.test(value)) return this.fail('HPE_INVALID_CONTENT_LENGTH', 'bad Content-Length')
        if (length >= 0 && Number(value) !== length) return this.fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'conflicting Content-Length headers')
        length = Number(value)
      } else if (len === 17 && nameIs(s, pos, 'transfer-encoding')) {
        coded = true
        chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value)
      } else if (len === 10) {
        if (nameIs(s, pos, 'connection')) keepAlive = connectionKeepAlive(value, keepAlive)
        else if (nameIs(s, pos, 'keep-alive')) this.keepAliveMs = keepAliveTimeout(value)
      }
      pos = e + 2
    }
    if (coded && length >= 0) return this.fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'Content-Length with Transfer-Encoding')
    this.status = status
    this.keepAlive = keepAlive
    if (this.noBody || status === 204 || status === 304) this.state = DONE
    else if (chunked) this.enterChunkSize()
    else if (coded || length < 0) {
      this.state = UNTIL_CLOSE
      this.keepAlive = false
    } else if (length === 0) this.state = DONE
    else {
      this.state = LENGTH
      this.remaining = length
    }
    this.sink.onHead(status, raw, eol > 13 ? s.slice(13, eol) : '')
    return next
  }

  private enterChunkSize(): void {
    this.state = CHUNK_SIZE
    this.remaining = 0
    this.digits = 0
    this.extra = 0
  }

  /** chunked reads a chunked body from `i`: sizes and CRLFs byte by byte, data as views. */
  private chunked(b: Buffer, i: number): number {
    const len = b.length
    while (i < len) {
      switch (this.state) {
        case CHUNK_SIZE: {
          const c = b[i]!
          const v = HEX[c]!
          if (v >= 0) {
            if (++this.digits > MAX_CHUNK_DIGITS) return this.fail('HPE_INVALID_CHUNK_SIZE', 'chunk size too large')
            this.remaining = this.remaining * 16 + v
          } else if (this.digits === 0) return this.fail('HPE_INVALID_CHUNK_SIZE', 'chunk size expected')
          else if (c === CR) this.state = CHUNK_SIZE_LF
          else if (c === SEMI || c === SP || c === HTAB) this.state = CHUNK_EXT
          else return this.fail('HPE_INVALID_CHUNK_SIZE', 'bad chunk size')
          i++
          break
        }
        case CHUNK_EXT: {
          // Extensions (and whitespace before them) are skipped up to the line's CR.
          const cr = b.indexOf(CR, i)
          const stop = cr < 0 ? len : cr
          if (b.subarray(i, stop).includes(LF)) return this.fail('HPE_LF_EXPECTED', 'bare LF in a chunk extension')
          this.extra += stop - i
          if (this.extra > this.maxHead) return this.fail('UND_ERR_HEADERS_OVERFLOW', 'chunk extension too long')
          i = stop
          if (cr >= 0) {
            this.state = CHUNK_SIZE_LF
            i++
          }
          break
        }
        case CHUNK_SIZE_LF:
          if (b[i++] !== LF) return this.fail('HPE_LF_EXPECTED', 'chunk size line not ended by CRLF')
          this.state = this.remaining === 0 ? TRAILER : CHUNK_DATA
          break
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, len - i)
          this.sink.onBody(b.subarray(i, i + n))
          i += n
          this.remaining -= n
          if (this.remaining === 0) this.state = CHUNK_DATA_CR
          break
        }
        case CHUNK_DATA_CR:
          if (b[i++] !== CR) return this.fail('HPE_STRICT', 'chunk data not followed by CRLF')
          this.state = CHUNK_DATA_LF
          break
        case CHUNK_DATA_LF:
          if (b[i++] !== LF) return this.fail('HPE_STRICT', 'chunk data not followed by CRLF')
          this.enterChunkSize()
          break
        case TRAILER:
          // At the start of a trailer line: an empty line ends the message.
          if (b[i] === CR) {
            this.state = END_LF
            i++
          } else this.state = TRAILER_LINE
          break
        case TRAILER_LINE: {
          const cr = b.indexOf(CR, i)
          const stop = cr < 0 ? len : cr
          this.extra += stop - i
          if (this.extra > this.maxHead) return this.fail('UND_ERR_HEADERS_OVERFLOW', 'trailers too large')
          i = stop
          if (cr >= 0) {
            this.state = TRAILER_LF
            i++
          }
          break
        }
        case TRAILER_LF:
          if (b[i++] !== LF) return this.fail('HPE_LF_EXPECTED', 'trailer line not ended by CRLF')
          this.state = TRAILER
          break
        default: // END_LF
          if (b[i++] !== LF) return this.fail('HPE_LF_EXPECTED', 'chunked body not ended by CRLF')
          this.state = DONE
          return i
      }
    }
    return NEED_MORE
  }
}

/** lineEnd returns where the line from `pos` ends (the CR of its CRLF; `end` for the head's last line), or −1 for a bare LF. */
function lineEnd(s: string, pos: number, end: number): number {
  const lf = s.indexOf('\n', pos)
  if (lf < 0 || lf > end) return end
  return s.charCodeAt(lf - 1) === CR ? lf - 1 : -1
}

/** latin1 decodes bytes one to one into a string: Buffer's own latin1Slice (what toString('latin1') calls, without its argument handling) where there is one. */
const latin1: (b: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Partial<Latin1Slicer>).latin1Slice === 'function'
    ? (b, start, end) => (b as unknown as Latin1Slicer).latin1Slice(start, end)
    : (b, start, end) => b.toString('latin1', start, end)

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string
}

/** nameIs says whether s[pos…] spells the lower-case `lit` in any ASCII case (for letters and '-', which | 0x20 leaves alone). */
function nameIs(s: string, pos: number, lit: string): boolean {
  for (let k = 0; k < lit.length; k++) if ((s.charCodeAt(pos + k) | 0x20) !== lit.charCodeAt(k)) return false
  return true
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB
}

/** connectionKeepAlive applies a Connection header's options to the keep-alive default. */
function connectionKeepAlive(value: string, current: boolean): boolean {
  if (value.length === 10 && nameIs(value, 0, 'keep-alive')) return true
  if (value.length === 5 && nameIs(value, 0, 'close')) return false
  let out = current
  for (const t of value.toLowerCase().split(',')) {
    const o = t.trim()
    if (o === 'close') return false
    if (o === 'keep-alive') out = true
  }
  return out
}

/** keepAliveTimeout reads `timeout=N` (seconds) from a Keep-Alive header, in ms; 0 without one. */
function keepAliveTimeout(value: string): number {
  const m = /(?:^|[,;\s])timeout=(\d{1,9})/i.exec(value)
  return m ? Number(m[1]) * 1000 : 0
}
