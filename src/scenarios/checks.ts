import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { isIPv4 } from 'node:net'
import type { Parsed } from '../units.js'
import { parseFlaw, parseFlaws, parseLatencySpec, parseRateLimitSpec } from '../target/options.js'

/** isLoopbackHost says whether a URL hostname is on loopback: localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  return isIPv4(h) && h.startsWith('127.')
}

/** checkBuiltin validates `target.builtin` with the same parsers `likebench serve` uses. */
export function checkBuiltin(
  b: { flaws?: string[]; rateLimits?: string[]; latency?: string },
  report: (path: (string | number)[], message: string, hint?: string) => void,
): void {
  const flawProblems = (b.flaws ?? []).map((f, i) => {
    const r = parseFlaw(f)
    if (!r.ok) report(['flaws', i], r.message, r.hint)
    return r.ok
  })
  // Each flaw may be fine alone and still contradict another (no-dedupe with racy-dedupe).
  if (b.flaws && flawProblems.every(Boolean)) {
    const all = parseFlaws(b.flaws)
    if (!all.ok) report(['flaws'], all.message, all.hint)
  }
  b.rateLimits?.forEach((s, i) => {
    const r = parseRateLimitSpec(s)
    if (!r.ok) report(['rateLimits', i], r.message, r.hint)
  })
  if (b.latency !== undefined) {
    const r = parseLatencySpec(b.latency)
    if (!r.ok) report(['latency'], r.message, r.hint)
  }
}

/** UsersFile is what the loader learns about a users CSV without reading it all into memory. */
export interface UsersFile {
  path: string
  count: number
  hasIp: boolean
}

const CHUNK = 1 << 20

/** readUsersFile checks a users CSV (header with id and token, optional ip) and counts its rows. */
export function readUsersFile(dir: string, file: string): Parsed<UsersFile> {
  const path = isAbsolute(file) ? file : resolve(dir, file)
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) return { ok: false, message: `${file} is not a file` }
    size = st.size
  } catch {
    return { ok: false, message: `users file ${file} not found`, hint: `looked for ${path}; paths are relative to the scenario file` }
  }
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(CHUNK)
    let header = ''
    let rows = 0
    let lastByte = 10
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, 0, CHUNK, pos)
      if (n <= 0) break
      if (pos === 0) header = buf.subarray(0, n).toString('utf8').split(/\r?\n/, 1)[0] ?? ''
      for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) rows++
      lastByte = buf[n - 1]!
      pos += n
    }
    if (lastByte !== 10) rows++ // a last line without a newline
    const cols = header.split(',').map((c) => c.trim().toLowerCase())
    if (!cols.includes('token')) {
      return { ok: false, message: `users file ${file} has no token column (header: ${header || 'empty'})`, hint: 'the first line names the columns: id,token[,ip]' }
    }
    if (!cols.includes('id')) return { ok: false, message: `users file ${file} has no id column`, hint: 'the first line names the columns: id,token[,ip]' }
    const count = rows - 1
    if (count < 1) return { ok: false, message: `users file ${file} has no users`, hint: 'add one line per user below the header' }
    return { ok: true, value: { path, count, hasIp: cols.includes('ip') } }
  } finally {
    closeSync(fd)
  }
}
