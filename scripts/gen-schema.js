// Writes the published JSON Schemas from their zod definitions (via dist/), so neither can
// drift from what the code accepts and writes:
//   schema/scenario.schema.json  from src/scenarios/schema.ts
//   schema/result.schema.json    from src/result.ts
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { scenarioJsonSchema } = await import(join(root, 'dist/scenarios/schema.js'))
const { resultJsonSchema } = await import(join(root, 'dist/result.js'))
mkdirSync(join(root, 'schema'), { recursive: true })
writeFileSync(join(root, 'schema/scenario.schema.json'), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n')
writeFileSync(join(root, 'schema/result.schema.json'), JSON.stringify(resultJsonSchema(), null, 2) + '\n')
