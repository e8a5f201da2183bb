import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatStateEvent } from '../ipc';
import { ChatStatesStore, COMPOSING_TTL_MS } from './chatStates.svelte';

const BOB = 'bob@example.org';
const DEV = 'dev@conference.example.org';

function event(overrides: Partial<ChatStateEvent> = {}): ChatStateEvent {
  return { account_id: 1, peer: BOB, sender: null, state: 'composing', ...overrides };
}

describe('chat states', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('composing shows until another state, per conversation', () => {
    const store = new ChatStatesStore();
    store.apply(event());
    expect(store.typing(1, BOB)).toEqual([null]);
    expect(store.typing(2, BOB), 'another account').toEqual([]);
    expect(store.typing(1, 'carol@example.org')).toEqual([]);

    store.apply(event({ state: 'paused' }));
    expect(store.typing(1, BOB)).toEqual([]);
    store.apply(event());
    store.apply(event({ state: 'gone' }));
    expect(store.typing(1, BOB)).toEqual([]);
  });

  test('in a room, each occupant separately, by nick', () => {
    const store = new ChatStatesStore();
    store.apply(event({ peer: DEV, sender: 'carol' }));
    store.apply(event({ peer: DEV, sender: 'bob' }));
    store.apply(event({ peer: DEV, sender: 'bob' }));
    expect(store.typing(1, DEV)).toEqual(['bob', 'carol']);
    store.apply(event({ peer: DEV, sender: 'carol', state: 'active' }));
    expect(store.typing(1, DEV)).toEqual(['bob']);
  });

  test(`composing lapses ${COMPOSING_TTL_MS / 1000} s after the last one`, () => {
    const store = new ChatStatesStore();
    store.apply(event());
    vi.advanceTimersByTime(COMPOSING_TTL_MS - 1000);
    store.apply(event());
    vi.advanceTimersByTime(COMPOSING_TTL_MS - 1000);
    expect(store.typing(1, BOB), 'renewed').toEqual([null]);
    vi.advanceTimersByTime(1000);
    expect(store.typing(1, BOB)).toEqual([]);
  });

  test('clear (their message arrived) ends one sender; forget ends an account', () => {
    const store = new ChatStatesStore();
    store.apply(event({ peer: DEV, sender: 'bob' }));
    store.apply(event({ peer: DEV, sender: 'carol' }));
    store.apply(event({ account_id: 2 }));
    store.clear(1, DEV, 'bob');
    expect(store.typing(1, DEV)).toEqual(['carol']);
    store.forget(1);
    expect(store.typing(1, DEV)).toEqual([]);
    expect(store.typing(2, BOB)).toEqual([null]);
    expect(vi.getTimerCount(), "the forgotten account's timers are gone").toBe(1);
  });
});
