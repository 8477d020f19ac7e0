import { describe, expect, it } from 'vitest'
import { deliveryIdOf, deliveryJobId } from '../broadcasts/delivery-jobs.ts'
import { CLAIM_MS, MAX_AHEAD, SendPace } from '../broadcasts/send-pace.ts'

describe('SendPace: how many deliveries the gate claims ahead', () => {
  it('claims none ahead for a paced account, however long it sends', () => {
    const pace = new SendPace()
    // 20 a minute, the production cap: 3 s between sends.
    const claimed = Array.from({ length: 50 }, (_, i) => pace.ahead('bot-a', i * 3_000))
    expect(claimed.every((n) => n === 0)).toBe(true)
  })

  it('claims half of what the account said in the last CLAIM_MS, up to MAX_AHEAD', () => {
    const pace = new SendPace()
    const claimed = Array.from({ length: 400 }, (_, i) => pace.ahead('bot-a', 1_000_000 + i))
    expect(claimed.slice(0, 6)).toEqual([0, 0, 1, 1, 2, 2])
    expect(Math.max(...claimed)).toBe(MAX_AHEAD)
    expect(claimed.at(-1)).toBe(MAX_AHEAD)
  })

  it('forgets sends older than CLAIM_MS, and keeps accounts apart', () => {
    const pace = new SendPace()
    for (let i = 0; i < 10; i++) pace.ahead('bot-a', 5_000 + i)
    expect(pace.ahead('bot-b', 5_010)).toBe(0)
    expect(pace.ahead('bot-a', 5_010)).toBe(5)
    // A pause longer than the window: the burst no longer counts.
    expect(pace.ahead('bot-a', 5_010 + CLAIM_MS)).toBe(0)
  })
})

describe('deliveryIdOf: a delivery id from a ref or a job id', () => {
  it('reads what deliveryJobId and the ref write', () => {
    expect(deliveryIdOf(deliveryJobId(42))).toBe(42)
    expect(deliveryIdOf('42')).toBe(42)
    expect(deliveryIdOf('2147483647')).toBe(2_147_483_647)
  })

  it.each([
    '',
    'd-',
    'd-0',
    '0',
    '-1',
    'd--1',
    '2147483648',
    'd-99999999999',
    '1e3',
    '４２',
    'd-42 ',
    ' 42',
    '42abc',
    'reply-7',
    'x-42',
    '0x2a',
    '🙂',
  ])('refuses %j', (text) => {
    expect(deliveryIdOf(text)).toBeUndefined()
  })
})
