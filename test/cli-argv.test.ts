import { describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../cli/argv.ts'
import { UsageError } from '../cli/command.ts'
import { noticeSend } from '../cli/commands/notice-send.ts'
import { ordersList } from '../cli/commands/orders-list.ts'

describe('CLI arguments (node:util parseArgs against each command’s declared options)', () => {
  it('reads strings, booleans, --name=value and positionals', () => {
    expect(
      parseCommandArgs(noticeSend, [
        '--scope',
        '西郊路社区',
        '--text=停水',
        '--yes',
        '--tiers',
        '4,5',
      ]),
    ).toEqual({ args: [], flags: { scope: '西郊路社区', text: '停水', yes: true, tiers: '4,5' } })
    expect(parseCommandArgs(ordersList, ['--overdue', '--unit', '九龙坡区'])).toEqual({
      args: [],
      flags: { overdue: true, unit: '九龙坡区' },
    })
    expect(parseCommandArgs(ordersList, ['--', '--not-an-option'])).toEqual({
      args: ['--not-an-option'],
      flags: {},
    })
  })

  it('refuses an unknown option, a missing value and a value on a switch, in one line each', () => {
    const refused = (argv: string[]) => {
      try {
        parseCommandArgs(ordersList, argv)
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError)
        return (error as Error).message
      }
      throw new Error(`accepted ${argv.join(' ')}`)
    }
    expect(refused(['--bogus'])).toBe(`未知选项 --bogus。用法: quanqun ${ordersList.usage}`)
    expect(refused(['--unit'])).toMatch(/^选项 --unit 的值不对/)
    expect(refused(['--overdue=yes'])).toMatch(/^选项 --overdue 的值不对/)
    for (const message of [refused(['--unit']), refused(['--bogus'])]) {
      expect(message).not.toContain('\n')
    }
  })

  it('takes --help on every command', () => {
    expect(parseCommandArgs(ordersList, ['--help']).flags).toEqual({ help: true })
  })
})
