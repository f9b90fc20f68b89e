import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { LikebenchError } from '../errors.js'
import { signToken } from '../target/token.js'

/**
 * The user population. Generated users are `u1..uN` with tokens minted on demand from the
 * built-in target's secret; nothing per user is stored up front, so a million users cost
 * nothing until they send (and then a bounded cache), which keeps `plan` instant and a run's
 * memory flat. CSV users are read once into two string arrays.
 */

/** Users is a population addressed by index 0..count-1. */
export interface Users {
  readonly count: number
  /** id returns user i's id. */
  id(i: number): string
  /** token returns user i's bearer token. */
  token(i: number): string
  /** ip returns the source address the CSV assigns to user i, if any. */
  ip(i: number): string | undefined
}

const CACHE_SIZE = 1 << 16

/** generatedUsers returns `count` users u1..uN whose tokens are signed with `secret` when first needed. */
export function generatedUsers(count: number, secret: string): Users {
  // Direct-mapped cache: slot i % size remembers the last token minted there. O(1), bounded.
  const size = Math.min(CACHE_SIZE, count)
  const slotOwner = new Int32Array(size).fill(-1)
  const slotToken: string[] = new Array<string>(size)
  return {
    count,
    id: (i) => `u${i + 1}`,
    token(i) {
      const slot = i % size
      if (slotOwner[slot] === i) return slotToken[slot]!
      const t = signToken(secret, `u${i + 1}`)
      slotOwner[slot] = i
      slotToken[slot] = t
      return t
    },
    ip: () => undefined,
  }
}

/** loadCsvUsers reads a users CSV with columns id and token (and optionally ip), in any order. */
export async function loadCsvUsers(file: string): Promise<Users> {
  const ids: string[] = []
  const tokens: string[] = []
  const ips: string[] = []
  let cols: { id: number; token: number; ip: number } | undefined
  let line = 0
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const text of rl) {
    line++
    if (text.trim() === '') continue
    const cells = text.split(',').map((c) => c.trim())
    if (!cols) {
      const names = cells.map((c) => c.toLowerCase())
      cols = { id: names.indexOf('id'), token: names.indexOf('token'), ip: names.indexOf('ip') }
      continue
    }
    const id = cells[cols.id]
    const token = cells[cols.token]
    if (!id || !token) {
      throw new LikebenchError('LB_USERS_ROW', `${file}:${line}: a user needs an id and a token`, { hint: 'every row is id,token[,ip] in the header\'s column order' })
    }
    ids.push(id)
    tokens.push(token)
    if (cols.ip >= 0) ips.push(cells[cols.ip] ?? '')
  }
  return {
    count: ids.length,
    id: (i) => ids[i]!,
    token: (i) => tokens[i]!,
    ip: (i) => (ips.length ? ips[i] || undefined : undefined),
  }
}
