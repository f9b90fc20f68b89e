import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, STACK_TRACE } from '../helpers/cli.js'
import pkg from '../../package.json' with { type: 'json' }

describe('likebench (the program)', () => {
  it('prints its version', async () => {
    const r = await runCli(['--version'])
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  it('shows help with examples and the exit codes', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/validate <files\.\.\.>/)
    expect(r.stdout).toMatch(/\$ likebench plan scenarios\/like-farm\.yaml/)
    expect(r.stdout).toMatch(/99 a threshold or a defense verdict failed/)
  })

  it('answers an unknown command with a suggestion and exit 2', async () => {
    const r = await runCli(['valdate', 'x.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown command 'valdate'/)
    expect(r.stderr).toMatch(/Did you mean validate\?/)
  })

  it('answers an unknown option with a suggestion and exit 2', async () => {
    const r = await runCli(['plan', '--jsn', 'scenarios/quickstart.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown option '--jsn'/)
    expect(r.stderr).toMatch(/Did you mean --json\?/)
  })
})

describe('likebench validate', () => {
  it('passes every example', async () => {
    const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f))
    const r = await runCli(['validate', ...files])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(files.map((f) => expect.stringMatching(new RegExp(`^ok  ${f}  \\(\\d+ actors?\\)$`))))
  })

  it('reports every broken file of the corpus at once, exit 2, without a stack trace', async () => {
    const files = readdirSync('test/fixtures/broken').filter((f) => f.endsWith('.yaml')).map((f) => join('test/fixtures/broken', f))
    const r = await runCli(['validate', ...files])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    for (const f of files) expect(r.stderr).toContain(`${f}:`)
    expect(r.stderr).toMatch(new RegExp(`problems in ${files.length} of ${files.length} files; nothing was sent\\.`))
    expect(r.stderr).not.toMatch(STACK_TRACE)
  })

  it('still checks the good files when some are broken', async () => {
    const r = await runCli(['validate', 'scenarios/quickstart.yaml', 'test/fixtures/broken/06-unknown-kind.yaml'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('ok  scenarios/quickstart.yaml  (1 actor)\n')
    expect(r.stderr).toContain('test/fixtures/broken/06-unknown-kind.yaml:3:11  actors.farm.kind  unknown kind "flod"')
  })

  describe('files that are not scenarios', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-files-'))
    mkdirSync(join(dir, 'adir'))
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]))
    writeFileSync(join(dir, 'huge.yaml'), 'name: x\n' + '# padding\n'.repeat(120_000))
    it.each([
      ['missing.yaml', 'missing.yaml:1:1  (file)  file not found'],
      ['adir', 'adir:1:1  (file)  is a directory, not a scenario file'],
      ['binary.yaml', 'binary.yaml:1:1  (file)  is a binary file, not YAML'],
      ['huge.yaml', 'huge.yaml:1:1  (file)  is 1.1 MiB; a scenario file may be at most 1 MiB'],
    ])('%s', async (name, message) => {
      const r = await runCli(['validate', join(dir, name)])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(join(dir, message))
      expect(r.stderr).not.toMatch(STACK_TRACE)
    })
  })
})

describe('likebench plan', () => {
  it('prints the schedule, identities and hosts of like-farm without sending', async () => {
    const r = await runCli(['plan', 'scenarios/like-farm.yaml'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('requests  13,650')
    expect(r.stdout).toContain('farm (flood) — 12,000 requests, peak 800/s, uniform arrivals')
    expect(r.stdout).toContain('  from 10s to 25s: hold 800/s for 15s')
    expect(r.stdout).toContain('  identities: accounts 400 (users 19601..20000), sourceIps 4, via source, posts 1')
    expect(r.stdout).toContain('  identities: users 19,600, posts 500')
    expect(r.stdout).toContain('from source addresses 127.0.0.2..127.0.0.5 (flood actors) and 127.0.0.1 (the others)')
    expect(r.stdout).toContain('Nothing was sent.')
  })

  it('prints JSON with --json', async () => {
    const r = await runCli(['plan', '--json', 'scenarios/duplicate-race.yaml'])
    expect(r.code).toBe(0)
    const { summary, plan } = JSON.parse(r.stdout)
    expect(summary.actors.map((a: { name: string; expectedRequests: number }) => [a.name, a.expectedRequests])).toEqual([
      ['double-tap', 50], ['same-tick', 200], ['race', 200],
    ])
    expect(plan.seed).toBe(11)
  })

  it('plans a million generated users without materialising them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-million-'))
    writeFileSync(join(dir, 'm.yaml'), 'users: { count: 1000000 }\nactors:\n  o: { kind: organic, rate: { hold: 1000/s, for: 1m } }\n')
    const r = await runCli(['plan', join(dir, 'm.yaml')])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('identities: users 1,000,000, posts 100')
  })

  it('refuses an invalid scenario with exit 2 and the located problem', async () => {
    const r = await runCli(['plan', 'test/fixtures/broken/03-dash-ramp.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'test/fixtures/broken/03-dash-ramp.yaml:4:19  actors.organic.rate.ramp  "0-300/s" is not a ramp\n' +
      '    hint: write 0..300/s (two dots between the rates)\n' +
      '1 problem in the scenario; nothing was sent.\n')
    expect(r.stdout).toBe('')
  })
})
