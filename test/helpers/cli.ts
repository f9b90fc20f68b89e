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

/** STACK_TRACE matches the lines of a JavaScript stack trace, which a user must never see. */
export const STACK_TRACE = /^\s+at .+(\(|:\d+:\d+)/m
