/**
 * Request heads for the raw-socket transport (transport/fast.ts), byte for byte what undici
 * writes for the same dispatch options: `METHOD path HTTP/1.1`, `host`, `connection:
 * keep-alive` (or `close`), the caller's headers in order, `content-length` when there is a
 * body (and `content-length: 0` without one for the methods that expect a payload: PUT,
 * POST, PATCH, QUERY, PROPFIND, PROPPATCH — not DELETE, as undici does not either), then an
 * ASCII body in the same string, so a typical request is one latin1 string and one write.
 *
 * What repeats is cached: the host and connection lines per writer, and the rendered header
 * block per headers object, by identity (a WeakMap). The engine builds a header array once
 * per identity and reuses it (actors/requests.ts), so on the hot path a request costs one
 * WeakMap lookup and one string concatenation. A header array must therefore not be changed
 * after it was sent. Invalid input fails the same way undici's Request constructor does,
 * checked once per headers object: bad names or values, a duplicate host, a bad
 * content-length, transfer-encoding, keep-alive, upgrade or expect headers.
 */
import { TransportError } from './http1.js'

/** RequestLike is what a request head is made from: the fields of undici's dispatch options that the engine sets. */
export interface RequestLike {
  method: string
  path: string
  headers?: unknown
  body?: unknown
}

/** HeaderBlock is a headers object rendered once: its lines, and what undici would have taken out of it. */
interface HeaderBlock {
  text: string
  host: string | null
  close: boolean
  contentLength: number | null
}

const PAYLOAD_METHODS = new Set(['PUT', 'POST', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH'])
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY'])
// These three are undici's own (lib/core/request.js and lib/core/util.js).
const INVALID_PATH = /[^\u0021-\u00ff]/
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/
const EMPTY: HeaderBlock = { text: '', host: null, close: false, contentLength: null }

function invalid(message: string): TransportError {
  return new TransportError(message, 'UND_ERR_INVALID_ARG')
}

/**
 * RequestWriter renders request heads for one origin. render() returns the string to write
 * and leaves what goes with it in `body`, `close` and `noBody`, to be read before the next
 * render() (fields rather than a result object, so the hot path allocates nothing else).
 */
export class RequestWriter {
  /** After render(): bytes to write after the head (a Buffer, or a non-ASCII string to write as UTF-8), or null. */
  body: Uint8Array | string | null = null
  /** After render(): the connection must close after this exchange (HEAD, `connection: close`, a body on GET). */
  close = false
  /** After render(): the response to this request has no body (HEAD). */
  noBody = false
  /** After a render() that returned null: why the request cannot be sent. */
  error: TransportError | null = null
  private readonly blocks = new WeakMap<object, HeaderBlock | TransportError>()
  private readonly keepAliveLines: string
  private readonly closeLines: string

  /** `host` is the Host header's value: the origin's host[:port]. */
  constructor(host: string) {
    this.keepAliveLines = `host: ${host}\r\nconnection: keep-alive\r\n`
    this.closeLines = `host: ${host}\r\nconnection: close\r\n`
  }

  /** render returns the request's head (with an ASCII body appended), or null with `error` set. */
  render(req: RequestLike): string | null {
    this.body = null
    const { method, path } = req
    const problem = checkTarget(method, path)
    if (problem !== null) return this.refuse(problem)
    const block = this.block(req.headers)
    if (block instanceof TransportError) return this.refuse(block)
    const body = req.body
    let n = 0
    let ascii = false
    if (typeof body === 'string') {
      n = Buffer.byteLength(body)
      ascii = n === body.length // every UTF-16 unit became one byte: all ASCII
    } else if (body instanceof Uint8Array) n = body.byteLength
    else if (body != null) return this.refuse(new TransportError('only string and Buffer bodies are supported', 'UND_ERR_NOT_SUPPORTED'))
    const payload = PAYLOAD_METHODS.has(method)
    if (n > 0 && block.contentLength !== null && block.contentLength !== n) {
      return this.refuse(new TransportError('request body length does not match the content-length header', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'))
    }
    this.noBody = method === 'HEAD'
    // undici closes after HEAD (servers that answer it with a body) and after a body nobody expects.
    const close = block.close || this.noBody || (n > 0 && !payload)
    this.close = close
    const lines = block.host === null ? (close ? this.closeLines : this.keepAliveLines) : `host: ${block.host}\r\nconnection: ${close ? 'close' : 'keep-alive'}\r\n`
    let head = `${method} ${path} HTTP/1.1\r\n${lines}${block.text}`
    if (n > 0) head += `content-length: ${n}\r\n\r\n`
    else head += payload ? 'content-length: 0\r\n\r\n' : '\r\n'
    if (n > 0) {
      if (ascii) head += body as string
      else this.body = body as Uint8Array | string
    }
    return head
  }

  private refuse(err: TransportError): null {
    this.error = err
    return null
  }

  /** block returns the rendered headers of `headers`, from the cache when this object was seen before. */
  private block(headers: unknown): HeaderBlock | TransportError {
    if (headers == null) return EMPTY
    if (typeof headers !== 'object') return invalid('headers must be an object or an array')
    let b = this.blocks.get(headers)
    if (b === undefined) {
      b = renderBlock(headers)
      this.blocks.set(headers, b)
    }
    return b
  }
}

function checkTarget(method: unknown, path: unknown): TransportError | null {
  if (typeof path !== 'string') return invalid('path must be a string')
  if (path.charCodeAt(0) !== 47 && !path.startsWith('http://') && !path.startsWith('https://')) return invalid('path must be an absolute URL or start with a slash')
  if (INVALID_PATH.test(path)) return invalid('invalid request path')
  if (typeof method !== 'string' || (!KNOWN_METHODS.has(method) && !TOKEN.test(method))) return invalid('invalid request method')
  if (method === 'CONNECT') return new TransportError('CONNECT is not supported by the fast transport', 'UND_ERR_NOT_SUPPORTED')
  return null
}

/** renderBlock renders a flat [name, value, …] array, an iterable of pairs or a record, checking it as undici would. */
function renderBlock(headers: object): HeaderBlock | TransportError {
  const out: HeaderBlock = { text: '', host: null, close: false, contentLength: null }
  try {
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) return invalid('headers array must be even')
      for (let i = 0; i < headers.length; i += 2) addHeader(out, headers[i], headers[i + 1])
    } else if (Symbol.iterator in headers) {
      for (const pair of headers as Iterable<[unknown, unknown]>) addHeader(out, pair[0], pair[1])
    } else for (const [k, v] of Object.entries(headers)) addHeader(out, k, v)
  } catch (err) {
    if (err instanceof TransportError) return err
    throw err
  }
  return out
}

function addHeader(out: HeaderBlock, key: unknown, val: unknown): void {
  if (val === undefined) return
  const name = String(key)
  const lower = name.toLowerCase()
  if (!TOKEN.test(lower)) throw invalid('invalid header key')
  const values = (Array.isArray(val) ? val : [val]).map((v) => {
    if (v !== null && typeof v === 'object') throw invalid(`invalid ${name} header`)
    const s = v === null ? '' : String(v)
    if (INVALID_VALUE.test(s)) throw invalid(`invalid ${name} header`)
    return s
  })
  switch (lower) {
    case 'host':
      if (out.host !== null || values.length !== 1) throw invalid('duplicate host header')
      out.host = values[0]!
      return
    case 'content-length':
      if (out.contentLength !== null || values.length !== 1 || !/^\d+$/.test(values[0]!)) throw invalid('invalid content-length header')
      out.contentLength = Number(values[0])
      return
    case 'transfer-encoding':
    case 'keep-alive':
    case 'upgrade':
      throw invalid(`invalid ${lower} header`)
    case 'expect':
      throw new TransportError('expect header not supported', 'UND_ERR_NOT_SUPPORTED')
    case 'connection':
      // undici validates the options and writes its own connection line; `close` ends the connection after the exchange.
      for (const v of values) {
        for (const t of v.toLowerCase().split(',')) {
          const o = t.trim()
          if (!TOKEN.test(o)) throw invalid('invalid connection header')
          if (o === 'close') out.close = true
        }
      }
      return
    default:
      for (const v of values) out.text += `${name}: ${v}\r\n`
  }
}
