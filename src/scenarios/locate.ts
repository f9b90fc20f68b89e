import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml'
import type { Problem } from '../errors.js'

/** PathSeg is one step of a key path: a map key or a list index. */
export type PathSeg = string | number

/** formatPath renders a key path the way problems show it: `actors.farm.rate[0].ramp`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[A-Za-z0-9_$-]+$/.test(seg) || /^[^.\s"]+\{.*\}$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/**
 * Locator maps key paths of a parsed YAML document back to `line:col`, so every problem
 * points at the text the user wrote. A path that does not exist (a missing key) is located
 * at the nearest ancestor that does.
 */
export class Locator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** node returns the YAML node at `path`, or undefined when it is not in the document. */
  node(path: readonly PathSeg[]): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined
    const n = this.doc.getIn(path, true)
    return n && typeof n === 'object' && 'range' in (n as object) ? (n as Node) : undefined
  }

  /** position returns the line and column of the value at `path`, or of its nearest existing ancestor. */
  position(path: readonly PathSeg[]): { line: number; col: number } {
    for (let i = path.length; i >= 0; i--) {
      const n = this.node(path.slice(0, i))
      if (n?.range) return this.lines.linePos(n.range[0])
    }
    return { line: 1, col: 1 }
  }

  /** keyPosition returns where the key of the last path step is written (for unknown or misnamed keys). */
  keyPosition(path: readonly PathSeg[]): { line: number; col: number } {
    const parent = this.node(path.slice(0, -1))
    const last = path[path.length - 1]
    if (parent && isMap(parent)) {
      for (const pair of parent.items) {
        const k = pair.key
        if (isScalar(k) && String(k.value) === String(last) && k.range) return this.lines.linePos(k.range[0])
      }
    }
    if (parent && isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as Node | undefined
      if (item?.range) return this.lines.linePos(item.range[0])
    }
    return this.position(path)
  }

  /** problem builds a Problem located at the value (or, with `atKey`, the key) of `path`. */
  problem(path: readonly PathSeg[], message: string, hint?: string, atKey = false): Problem {
    const pos = atKey ? this.keyPosition(path) : this.position(path)
    const p: Problem = { file: this.file, line: pos.line, col: pos.col, path: formatPath(path), message }
    if (hint) p.hint = hint
    return p
  }
}
