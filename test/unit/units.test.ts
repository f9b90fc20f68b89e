import { describe, expect, it } from 'vitest'
import { formatDuration, formatRate, parseDuration, parseRate, parseRatio } from '../../src/units.js'
import { parseRamp } from '../../src/scenarios/schema.js'

const value = <T>(r: { ok: true; value: T } | { ok: false }) => (r.ok ? r.value : undefined)

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], ['250us', 0.25], [' 3s ', 3000],
  ])('%s is %d ms', (text, ms) => expect(value(parseDuration(text))).toBe(ms))

  it.each([
    [30, 'a duration needs a unit (got 30)', 'write 30ms or 30s'],
    ['10 seconds', '"10 seconds" is not a duration', 'write a number and a unit: 500ms, 10s, 2m or 1h'],
    ['-1s', '"-1s" is not a duration', 'write a number and a unit: 500ms, 10s, 2m or 1h'],
  ])('%s is refused with a hint', (text, message, hint) => expect(parseDuration(text)).toEqual({ ok: false, message, hint }))
})

describe('parseRate', () => {
  it.each([
    ['300/s', 300], ['20/min', 20 / 60], ['10/10s', 1], ['5/ms', 5000], ['0/s', 0], ['1.5/s', 1.5], ['3600/h', 1],
  ])('%s is %d per second', (text, perSec) => expect(value(parseRate(text))).toBeCloseTo(perSec, 9))

  it.each([
    [300, 'a rate needs a unit (got 300)'],
    ['300 per second', '"300 per second" is not a rate'],
    ['5/0s', '"5/0s" divides by a zero period'],
  ])('%s is refused', (text, message) => expect(parseRate(text)).toMatchObject({ ok: false, message }))
})

describe('parseRatio', () => {
  it.each([['1%', 0.01], ['100%', 1], [0.5, 0.5], ['0.25', 0.25], [0, 0]])('%s is %d', (text, v) =>
    expect(value(parseRatio(text))).toBeCloseTo(v, 12))
  it.each([[1.5, 'a ratio must lie between 0 and 1 (got 1.5)'], ['150%', '"150%" is more than 100%'], ['half', '"half" is not a ratio']])(
    '%s is refused', (text, message) => expect(parseRatio(text)).toMatchObject({ ok: false, message }))
})

describe('parseRamp', () => {
  it('reads both ends in the shared unit', () => expect(value(parseRamp('0..300/s'))).toEqual({ from: 0, to: 300 }))
  it('reads a ramp down per minute', () => expect(value(parseRamp('120..60/min'))).toEqual({ from: 2, to: 1 }))
  it('teaches the two dots when a dash is written', () =>
    expect(parseRamp('0-300/s')).toEqual({ ok: false, message: '"0-300/s" is not a ramp', hint: 'write 0..300/s (two dots between the rates)' }))
})

describe('formatting', () => {
  it.each([[850, '850ms'], [12_000, '12s'], [90_000, '1m30s'], [120_000, '2m'], [1500, '1.5s']])('duration %d → %s', (ms, text) =>
    expect(formatDuration(ms)).toBe(text))
  it.each([[300, '300/s'], [0.5, '30/min'], [1 / 3, '20/min']])('rate %d → %s', (r, text) => expect(formatRate(r)).toBe(text))
})
