import { describe, expect, test } from 'vitest';
import { alternativeNick } from './roomStatus';

describe('another nickname when ours is taken', () => {
  test('adds 2, or counts a trailing number up', () => {
    expect(alternativeNick('anna')).toBe('anna2');
    expect(alternativeNick('anna2')).toBe('anna3');
    expect(alternativeNick('r2d9')).toBe('r2d10');
    expect(alternativeNick('bond007')).toBe('bond008');
  });
});
