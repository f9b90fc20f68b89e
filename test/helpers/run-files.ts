import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterEach, expect } from 'vitest'
import { resultJsonSchema, type RunResult } from '../../src/result.js'
import type { TestServer } from './servers.js'

const validate = new Ajv2020({ strict: false }).compile(resultJsonSchema())

/** runFiles gives a test file a scratch directory, scenario files against a loopback origin, result reading, and server cleanup. */
export function runFiles(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  return {
    dir,
    /** keep closes `s` after the current test. */
    keep<T extends TestServer>(s: T): T {
      servers.push(s)
      return s
    },
    /** scenario writes a one-actor scenario (8 connections, 500 ms timeout, no integrity reads) sending to `origin`. */
    scenario(name: string, origin: string, actor: string, extra = ''): string {
      const file = join(dir, `${name}.yaml`)
      writeFileSync(file, `name: ${name}\ntarget: { url: "${origin}", connections: 8, timeout: 500ms }\nintegrity: { read: off }\nactors:\n  a: ${actor}\n${extra}`)
      return file
    },
    /** readResult reads a result file and checks it against the published JSON Schema. */
    readResult(file: string): RunResult {
      const r = JSON.parse(readFileSync(file, 'utf8')) as RunResult
      expect(validate(r), JSON.stringify(validate.errors)).toBe(true)
      return r
    },
  }
}
