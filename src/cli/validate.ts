import type { Command } from 'commander'
import { ScenarioError, type Problem } from '../errors.js'
import type { Io } from './io.js'

/** registerValidate adds `likebench validate <files...>`: check scenario files, print every problem, send nothing. */
export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check scenario files and print every problem as file:line:col  path  message; sends nothing')
    .argument('<files...>', 'scenario files (YAML)')
    .addHelpText('after', '\nExample:\n  $ likebench validate scenarios/*.yaml')
    .action(async (files: string[]) => {
      const { checkScenario } = await import('../scenarios/loader.js')
      let bad = 0
      const problems: Problem[] = []
      for (const file of files) {
        const r = checkScenario(file, io.env)
        if (r.plan) {
          io.out(`ok  ${file}  (${r.plan.actors.length} actor${r.plan.actors.length === 1 ? '' : 's'})\n`)
          continue
        }
        bad++
        problems.push(...r.problems)
      }
      if (bad) {
        const n = problems.length
        throw new ScenarioError(problems,
          `${n} problem${n === 1 ? '' : 's'} in ${bad} of ${files.length} file${files.length === 1 ? '' : 's'}; nothing was sent.`)
      }
    })
}
