/**
 * Addresses an actor appears to come from. Real sources are loopback addresses the
 * connections bind to (Linux routes all of 127.0.0.0/8 to lo). Spoofed ones only ever appear
 * in forwarding headers, and are drawn from 198.18.0.0/15, the range RFC 2544 reserves for
 * benchmarking, so a spoofed header never names somebody's real host.
 */

/** MAX_SOURCE_ADDRESSES bounds how many loopback addresses one run binds. */
export const MAX_SOURCE_ADDRESSES = 65_000

function dotted(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** loopbackAddress returns the i-th bindable loopback address: 127.0.0.1, 127.0.0.2, ..., skipping .0 and .255. */
export function loopbackAddress(i: number): string {
  const block = Math.floor(i / 254)
  return dotted(((127 << 24) >>> 0) + block * 256 + (i % 254) + 1)
}

const SPOOF_BASE = ((198 << 24) | (18 << 16)) >>> 0
const SPOOF_SIZE = 1 << 17

/** spoofedAddress returns the i-th address of the benchmarking range 198.18.0.0/15, for forwarding headers only. */
export function spoofedAddress(i: number): string {
  return dotted(SPOOF_BASE + ((i % (SPOOF_SIZE - 2)) + 1))
}

/**
 * sourceAddress is the local address a flood binds for its i-th source IP: the scenario's
 * `target.localAddresses` in turn, else 127.0.0.2 onwards — 127.0.0.1 is every other actor's
 * address, and a farm sharing it would share their per-IP bucket.
 */
export function sourceAddress(localAddresses: readonly string[], i: number): string {
  return localAddresses.length ? localAddresses[i % localAddresses.length]! : loopbackAddress(i + 1)
}
