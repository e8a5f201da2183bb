import { describe, expect, test } from 'vitest';
import { message } from '../../test/backend';
import { mergeMessages } from './messages.svelte';

describe('mergeMessages', () => {
  test('orders by time, then id, and replaces a known id', () => {
    const merged = mergeMessages(
      [message(2, { at: 20 }), message(1, { at: 10 })],
      [message(3, { at: 20 }), message(1, { at: 10, body: 'edited' })],
    );
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(merged[0]?.body).toBe('edited');
  });

  test('a late pending echo does not undo a delivery receipt', () => {
    const delivered = message(5, { outgoing: true, state: 'delivered' });
    const merged = mergeMessages([delivered], [{ ...delivered, state: 'pending' }]);
    expect(merged[0]?.state).toBe('delivered');
  });

  test('failure always applies, and a retry goes back to pending', () => {
    const sent = message(5, { outgoing: true, state: 'sent' });
    const failed = mergeMessages([sent], [{ ...sent, state: 'failed', error: 'bounced' }]);
    expect(failed[0]?.state).toBe('failed');
    const retried = mergeMessages(failed, [{ ...sent, state: 'pending' }]);
    expect(retried[0]?.state).toBe('pending');
  });
});
