import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** BIN is the CLI entry a user runs (it needs `npm run build` first, which `npm test` does). */
export const BIN = fileURLToPath(new URL('../../bin/likebench', import.meta.url))

/** CliResult is what a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** runCli runs `likebench ...args` in a child process and collects its output; it kills the child after `timeoutMs`. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * interruptCli starts `likebench ...args`, waits until `ready` holds (it is given the output so
 * far, and is polled every 20 ms for at most `readyMs`), waits `thenMs` more, sends SIGINT, and
 * returns how the CLI exited and what it printed.
 */
export async function interruptCli(args: string[], ready: (out: { stdout: string; stderr: string }) => boolean, opts: { thenMs?: number; readyMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()))
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])))
  for (let waited = 0; !ready(out) && waited < (opts.readyMs ?? 15_000); waited += 20) await new Promise((r) => setTimeout(r, 20))
  if (opts.thenMs) await new Promise((r) => setTimeout(r, opts.thenMs))
  child.kill('SIGINT')
  const [code, signal] = await closed
  return { code, signal, ...out }
}

/** STACK_TRACE matches the lines of a JavaScript stack trace, which a user must never see. */
export const STACK_TRACE = /^\s+at .+(\(|:\d+:\d+)/m
