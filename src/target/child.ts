/**
 * Entry point of the child process that `startBuiltinTarget` forks: the target gets its own
 * event loop, so it never competes with the load generator for the CPU it measures with.
 * Options arrive as JSON in LIKEBENCH_TARGET_OPTIONS (kept out of argv, where the secret
 * would show in `ps`); readiness goes back as an IPC `{ type: 'ready', url, secret }`.
 */
import { LikebenchError } from '../errors.js'
import { resolveTargetConfig, type RawTargetOptions } from './options.js'
import { createTargetServer } from './server.js'

/** ReadyMessage is what the child sends its parent once it listens. */
export interface ReadyMessage {
  type: 'ready'
  url: string
  secret: string
}

async function main(): Promise<void> {
  const raw = JSON.parse(process.env.LIKEBENCH_TARGET_OPTIONS ?? '{}') as RawTargetOptions
  const config = resolveTargetConfig(raw)
  const target = createTargetServer(config)
  const url = await target.listen(0, '127.0.0.1')
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    void target.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The parent died or let go of us: a target nobody drives must not linger.
  process.on('disconnect', stop)
  const ready: ReadyMessage = { type: 'ready', url, secret: config.secret }
  process.send?.(ready)
}

main().catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err)
  const hint = err instanceof LikebenchError && err.hint ? `\nhint: ${err.hint}` : ''
  process.stderr.write(`likebench target: ${msg}${hint}\n`)
  process.exit(err instanceof LikebenchError ? err.exitCode : 1)
})
