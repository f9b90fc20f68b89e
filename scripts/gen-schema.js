// Writes schema/scenario.schema.json from the zod schema in src/scenarios/schema.ts (via dist/),
// so the published JSON Schema can never drift from what the loader accepts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { scenarioJsonSchema } = await import(join(root, 'dist/scenarios/schema.js'))
mkdirSync(join(root, 'schema'), { recursive: true })
writeFileSync(join(root, 'schema/scenario.schema.json'), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n')
