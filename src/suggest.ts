/** distance is the Levenshtein edit distance between two short strings. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** suggest returns the closest of `choices` to `word` when it is close enough to be a likely typo. */
export function suggest(word: string, choices: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestD = Infinity
  for (const c of choices) {
    const d = distance(w, c.toLowerCase())
    if (d < bestD) [best, bestD] = [c, d]
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined
}

/** didYouMean renders a suggestion hint, or lists the choices when nothing is close. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const s = suggest(word, choices)
  return s ? `did you mean "${s}"?` : `expected one of: ${choices.join(', ')}`
}
