import type { Reporter } from './types.js'

/** jsonReporter renders the result document itself (the contract of DESIGN.md section 5). */
export const jsonReporter: Reporter = {
  render: (r) => JSON.stringify(r, null, 2) + '\n',
}
