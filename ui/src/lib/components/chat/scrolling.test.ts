import { describe, expect, test } from 'vitest';
import { message } from '../../../test/backend';
import { LOAD_EARLIER_PX, STICK_TO_BOTTOM_PX, grewAtStart, isAtBottom, isNearTop } from './scrolling';

describe('isAtBottom', () => {
  test('is true at the end and within the tolerance above it', () => {
    expect(isAtBottom(1400, 2000, 600)).toBe(true);
    expect(isAtBottom(1400 - STICK_TO_BOTTOM_PX, 2000, 600)).toBe(true);
  });

  test('is false once the user scrolled further up', () => {
    expect(isAtBottom(1400 - STICK_TO_BOTTOM_PX - 1, 2000, 600)).toBe(false);
  });

  test('a list shorter than its viewport is always at the bottom', () => {
    expect(isAtBottom(0, 300, 600)).toBe(true);
  });
});

describe('isNearTop', () => {
  test('within LOAD_EARLIER_PX of the start', () => {
    expect(isNearTop(0)).toBe(true);
    expect(isNearTop(LOAD_EARLIER_PX)).toBe(true);
    expect(isNearTop(LOAD_EARLIER_PX + 1)).toBe(false);
  });
});

describe('grewAtStart', () => {
  test('older messages before the previous oldest are a prepend', () => {
    expect(grewAtStart(message(50, { at: 5_000 }), message(10, { at: 1_000 }))).toBe(true);
  });

  test('the same instant is ordered by id', () => {
    expect(grewAtStart(message(50, { at: 5_000 }), message(49, { at: 5_000 }))).toBe(true);
    expect(grewAtStart(message(50, { at: 5_000 }), message(51, { at: 5_000 }))).toBe(false);
  });

  test('an unchanged start (append, update) is not', () => {
    const oldest = message(50);
    expect(grewAtStart(oldest, { ...oldest, state: 'displayed' })).toBe(false);
  });

  test('the first page is not', () => {
    expect(grewAtStart(undefined, message(1))).toBe(false);
    expect(grewAtStart(message(1), undefined)).toBe(false);
  });
});
