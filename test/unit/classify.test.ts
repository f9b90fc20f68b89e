import { describe, expect, it } from 'vitest'
import { errors } from 'undici'
import { classify, ERROR_INDEX, ERROR_KINDS, type ErrorKind } from '../../src/transport/classify.js'

/** sysErr builds an error shaped like Node's system errors. */
const sysErr = (code: string): Error => Object.assign(new Error(code), { code })

describe('classify', () => {
  it.each<[string, unknown, ErrorKind]>([
    ['undici connect timeout', new errors.ConnectTimeoutError(), 'timeout'],
    ['undici headers timeout', new errors.HeadersTimeoutError(), 'timeout'],
    ['undici body timeout', new errors.BodyTimeoutError(), 'timeout'],
    ['ETIMEDOUT', sysErr('ETIMEDOUT'), 'timeout'],
    ['AbortSignal.timeout()', new DOMException('timed out', 'TimeoutError'), 'timeout'],
    ['ECONNREFUSED', sysErr('ECONNREFUSED'), 'refused'],
    ['EHOSTUNREACH', sysErr('EHOSTUNREACH'), 'refused'],
    ['ECONNRESET', sysErr('ECONNRESET'), 'reset'],
    ['EPIPE', sysErr('EPIPE'), 'reset'],
    ['undici "other side closed"', new errors.SocketError('other side closed'), 'reset'],
    ['llhttp parser error', Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_CONSTANT' }), 'protocol'],
    ['undici parser error without a code', new errors.HTTPParserError('Expected HTTP/'), 'protocol'],
    ['content-length mismatch', new errors.ResponseContentLengthMismatchError(), 'protocol'],
    ['headers overflow', new errors.HeadersOverflowError(), 'protocol'],
    ['EMFILE', sysErr('EMFILE'), 'fd_exhausted'],
    ['ENFILE', sysErr('ENFILE'), 'fd_exhausted'],
    ['EADDRNOTAVAIL (ephemeral ports gone)', sysErr('EADDRNOTAVAIL'), 'fd_exhausted'],
    ['undici aborted', new errors.RequestAbortedError(), 'aborted'],
    ['pool destroyed', new errors.ClientDestroyedError(), 'aborted'],
    ['pool closed', new errors.ClientClosedError(), 'aborted'],
    ['AbortController', new DOMException('aborted', 'AbortError'), 'aborted'],
    ['a code seen through cause', new TypeError('fetch failed', { cause: sysErr('ECONNREFUSED') }), 'refused'],
    ['an AggregateError of connects', new AggregateError([sysErr('ECONNREFUSED')]), 'refused'],
    ['an unknown code', sysErr('EWHATEVER'), 'other'],
    ['an error without a code', new Error('boom'), 'other'],
    ['a string', 'boom', 'other'],
    ['null', null, 'other'],
  ])('%s → %s', (_name, err, kind) => {
    expect(classify(err)).toBe(kind)
  })

  it('indexes every kind once, for fixed-size counters', () => {
    expect(ERROR_KINDS.map((k) => ERROR_INDEX[k])).toEqual(ERROR_KINDS.map((_, i) => i))
  })

  it('does not loop on a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown }
    a.cause = a
    expect(classify(a)).toBe('other')
  })
})
