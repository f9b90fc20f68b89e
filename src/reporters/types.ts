import type { RunResult } from '../result.js'

/** RenderOptions are the few things a renderer may vary on. */
export interface RenderOptions {
  color: boolean
}

/** Reporter renders a result as text; it never sees raw records and never writes files itself. */
export interface Reporter {
  render(result: RunResult, opts: RenderOptions): string
}
