import { consoleReporter } from './console.js'
import { jsonReporter } from './json.js'
import { junitReporter } from './junit.js'
import { markdownReporter } from './markdown.js'
import type { Reporter } from './types.js'

/** reporters is the registry of result renderers; a name here is a valid report format. */
export const reporters = {
  console: consoleReporter,
  json: jsonReporter,
  junit: junitReporter,
  markdown: markdownReporter,
} satisfies Record<string, Reporter>

/** ReporterName names a registered reporter. */
export type ReporterName = keyof typeof reporters
