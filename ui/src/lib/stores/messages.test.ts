import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, message } from '../../test/backend';
import type { MessageView } from '../ipc';
import { MessagesStore, mergeMessages } from './messages.svelte';

const BOB = 'bob@example.org';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Messages only in the server's archive, as `message(i)` would be: older (`at`) than the stored
 * ones, but with higher ids, since the backend stores them after the newer ones.
 */
function archived(from: number, to: number): MessageView[] {
  return range(from, to).map((i) => message(1000 + i, { at: message(i).at }));
}

/** Bob's chat: messages 61..130 stored locally, 1..60 only on the server (as ids 1001..1060). */
function backendWithArchive(): FakeBackend {
  const backend = new FakeBackend();
  backend.paged = true;
  backend.messages = range(61, 130).map((i) => message(i));
  backend.archive = archived(1, 60);
  return backend;
}

/** Opens Bob's chat and loads until the local store is exhausted (81..130, then 61..80). */
async function openToLocalStart(): Promise<MessagesStore> {
  const store = new MessagesStore();
  await store.open(ALICE.id, BOB);
  await store.loadEarlier(ALICE.id, BOB);
  return store;
}

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

describe('MessagesStore history', () => {
  test('past the local pages, the next load asks the server and shows the older messages first', async () => {
    const backend = backendWithArchive();
    const store = await openToLocalStart();
    expect(backend.callsOf('load_messages').map((c) => c['before'])).toEqual([null, 81]);
    expect(backend.callsOf('fetch_history'), 'not before the local store is exhausted').toEqual([]);
    expect(store.timeline(ALICE.id, BOB).reachedStart, 'the server may have more').toBe(false);

    const loading = store.loadEarlier(ALICE.id, BOB);
    expect(store.timeline(ALICE.id, BOB)).toMatchObject({ loading: true, fetchingArchive: true });
    await loading;

    expect(backend.callsOf('fetch_history')).toEqual([{ accountId: ALICE.id, peer: BOB }]);
    expect(backend.callsOf('load_messages').at(-1), 'the page before the oldest shown, again').toEqual({
      accountId: ALICE.id,
      peer: BOB,
      before: 61,
      limit: 50,
    });
    const timeline = store.timeline(ALICE.id, BOB);
    expect(timeline).toMatchObject({ loading: false, fetchingArchive: false, reachedStart: false });
    expect(timeline.messages.map((m) => m.id)).toEqual([
      ...range(11, 60).map((i) => 1000 + i),
      ...range(61, 130),
    ]);
  });

  test('once the server answers `complete`, the start is reached and it is not asked again', async () => {
    const backend = backendWithArchive();
    const store = await openToLocalStart();
    await store.loadEarlier(ALICE.id, BOB); // server: 1011..1060, a full local page again
    await store.loadEarlier(ALICE.id, BOB); // local: nothing before 1011
    expect(store.timeline(ALICE.id, BOB).reachedStart).toBe(false);
    await store.loadEarlier(ALICE.id, BOB); // server: the last 10, complete

    expect(backend.callsOf('fetch_history')).toHaveLength(2);
    const timeline = store.timeline(ALICE.id, BOB);
    expect(timeline.reachedStart).toBe(true);
    expect(timeline.messages.map((m) => m.id)).toEqual([
      ...range(1, 60).map((i) => 1000 + i),
      ...range(61, 130),
    ]);

    const calls = backend.calls.length;
    await store.loadEarlier(ALICE.id, BOB);
    expect(backend.calls.length, 'nothing left to ask anyone').toBe(calls);
  });

  test('an archive answering nothing new is not asked again either', async () => {
    const backend = backendWithArchive();
    backend.on('fetch_history', () => ({ stored: 0, complete: false }));
    const store = await openToLocalStart();
    await store.loadEarlier(ALICE.id, BOB);
    await store.loadEarlier(ALICE.id, BOB);

    expect(backend.callsOf('fetch_history')).toHaveLength(1);
    expect(backend.callsOf('load_messages'), 'no re-read without anything stored').toHaveLength(2);
    expect(store.timeline(ALICE.id, BOB).reachedStart).toBe(true);
  });

  test('offline, the server fetch fails without ending the history; later it works', async () => {
    const backend = backendWithArchive();
    backend.on('fetch_history', () => {
      throw { code: 'not_connected', message: 'account is offline' };
    });
    const store = await openToLocalStart();

    await expect(store.loadEarlier(ALICE.id, BOB)).rejects.toEqual({
      code: 'not_connected',
      message: 'account is offline',
    });
    expect(store.timeline(ALICE.id, BOB)).toMatchObject({
      archiveComplete: false,
      reachedStart: false,
      loading: false,
      fetchingArchive: false,
    });

    backend.overrides.delete('fetch_history');
    await store.loadEarlier(ALICE.id, BOB);
    expect(backend.callsOf('fetch_history')).toHaveLength(2);
    expect(store.timeline(ALICE.id, BOB).messages[0]?.id).toBe(1011);
  });
});
