/**
 * `target: builtin`: start the reference like-API in a child process on an ephemeral
 * loopback port, wait until it listens, and stop it by its PID. The load generator and the
 * target never share an event loop.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ExitCode, LikebenchError } from '../errors.js'
import type { ReadyMessage } from './child.js'
import { resolveTargetConfig, type RawTargetOptions } from './options.js'

/** BuiltinTarget is a running reference like-API in its own process. */
export interface BuiltinTarget {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** HMAC key of its tokens, for `signToken`. */
  secret: string
  pid: number
  /** stop sends SIGTERM (SIGKILL after a grace period) and resolves once the process exited. */
  stop(): Promise<void>
}

/** LaunchOptions are the target's settings plus how long to wait for it. */
export interface LaunchOptions extends RawTargetOptions {
  readyTimeoutMs?: number
  stopGraceMs?: number
}

// The same relative path from src/target (tests) and dist/target (the CLI): the child is always built JS.
const CHILD_PATH = fileURLToPath(new URL('../../dist/target/child.js', import.meta.url))
const STDERR_KEPT = 8192

/** startBuiltinTarget forks dist/target/child.js and resolves once it listens; bad options throw before anything starts. */
export async function startBuiltinTarget(opts: LaunchOptions = {}): Promise<BuiltinTarget> {
  const { readyTimeoutMs = 10_000, stopGraceMs = 3000, ...raw } = opts
  const config = resolveTargetConfig(raw)
  if (!existsSync(CHILD_PATH)) {
    throw new LikebenchError('LB_TARGET_MISSING', `the built-in target is not built (${CHILD_PATH} is missing)`, {
      hint: 'run npm run build',
      exitCode: ExitCode.internal,
    })
  }
  const child = fork(CHILD_PATH, [], {
    env: { ...process.env, LIKEBENCH_TARGET_OPTIONS: JSON.stringify({ ...raw, secret: config.secret }) },
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stderr = keepTail(child)
  const ready = await waitReady(child, stderr, readyTimeoutMs, stopGraceMs, exited)
  // A caller that forgets stop() must not hang on us; the child exits when our IPC channel goes.
  child.unref()
  child.channel?.unref()
  const stderrPipe = child.stderr as unknown as { unref(): void } | null // a net.Socket, typed as Readable
  stderrPipe?.unref()
  return { url: ready.url, secret: ready.secret, pid: child.pid!, stop: () => stopChild(child, exited, stopGraceMs) }
}

function keepTail(child: ChildProcess): () => string {
  let text = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-STDERR_KEPT)
  })
  return () => text.trim()
}

function waitReady(
  child: ChildProcess, stderr: () => string, timeoutMs: number, graceMs: number, exited: Promise<void>,
): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup()
      const tail = stderr()
      const err = new LikebenchError('LB_TARGET_START', `the built-in target ${why}${tail ? `:\n${tail}` : ''}`, {
        hint: 'run `likebench serve` with the same options to see it start',
        exitCode: ExitCode.target,
      })
      void stopChild(child, exited, graceMs).then(() => reject(err))
    }
    const onMessage = (m: unknown): void => {
      if (!isReady(m)) return
      cleanup()
      resolve(m)
    }
    // stderr may still be arriving when 'exit' fires; 'close' waits for it.
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited before it was ready (${signal ?? `code ${code}`})`)
    const onError = (err: Error): void => fail(`could not start (${err.message})`)
    const timer = setTimeout(() => fail(`was not ready after ${timeoutMs}ms`), timeoutMs)
    function cleanup(): void {
      clearTimeout(timer)
      child.off('message', onMessage).off('close', onClose).off('error', onError)
    }
    child.on('message', onMessage).once('close', onClose).once('error', onError)
  })
}

function isReady(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready'
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.ref() // keep our event loop alive until the child is gone
  child.kill('SIGTERM')
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(kill)
}
