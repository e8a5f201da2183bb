import { describe, expect, test } from 'vitest';
import { LatestLoad } from './latest';

describe('LatestLoad', () => {
  test('an older load finishing last is recognised as stale', () => {
    const loads = new LatestLoad();
    const first = loads.begin(1);
    const second = loads.begin(1);
    expect(loads.isLatest(1, second)).toBe(true);
    expect(loads.isLatest(1, first), 'the first answer must not overwrite the second').toBe(false);
  });

  test('accounts do not invalidate each other', () => {
    const loads = new LatestLoad();
    const alice = loads.begin(1);
    loads.begin(2);
    expect(loads.isLatest(1, alice)).toBe(true);
  });
});
