import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, message } from '../../test/backend';
import type { MessageView } from '../ipc';
import { AROUND_SIZE, LIVE_WINDOW, MessagesStore, PAGE_SIZE, mergeMessages } from './messages.svelte';

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

describe('MessagesStore around a message (search hits)', () => {
  /** Bob's chat: messages 1..300 stored, read in pages. */
  function backendWithLongChat(): FakeBackend {
    const backend = new FakeBackend();
    backend.paged = true;
    backend.messages = range(1, 300).map((i) => message(i));
    return backend;
  }

  const ids = (store: MessagesStore): number[] => store.timeline(ALICE.id, BOB).messages.map((m) => m.id);

  test('a message not loaded replaces the timeline with the messages around it', async () => {
    const backend = backendWithLongChat();
    const store = new MessagesStore();
    await store.open(ALICE.id, BOB);
    await store.openAround(ALICE.id, BOB, 200);

    expect(backend.callsOf('load_messages_around')).toEqual([
      { accountId: ALICE.id, peer: BOB, id: 200, limit: AROUND_SIZE },
    ]);
    expect(ids(store)).toEqual(range(200 - AROUND_SIZE, 200 + AROUND_SIZE));
    expect(store.timeline(ALICE.id, BOB)).toMatchObject({
      atLiveEnd: false,
      localStart: false,
      loading: false,
    });

    // Older pages load before it as ever.
    await store.loadEarlier(ALICE.id, BOB);
    expect(ids(store)[0]).toBe(200 - AROUND_SIZE - PAGE_SIZE);
  });

  test('a message already loaded leaves the timeline as it is', async () => {
    const backend = backendWithLongChat();
    const store = new MessagesStore();
    await store.open(ALICE.id, BOB);
    await store.openAround(ALICE.id, BOB, 290);
    expect(backend.callsOf('load_messages_around')).toEqual([]);
    expect(store.timeline(ALICE.id, BOB).atLiveEnd).toBe(true);
  });

  test('near the newest message the window is at the live end, and near the oldest at the start', async () => {
    backendWithLongChat();
    const store = new MessagesStore();
    await store.openAround(ALICE.id, BOB, 280);
    expect(store.timeline(ALICE.id, BOB).atLiveEnd).toBe(true);
    expect(ids(store).at(-1)).toBe(300);

    const other = new MessagesStore();
    await other.openAround(ALICE.id, BOB, 3);
    expect(other.timeline(ALICE.id, BOB)).toMatchObject({ localStart: true, atLiveEnd: false });
    expect(ids(other)[0]).toBe(1);
  });

  test('away from the live end, new messages wait; changes to shown ones apply', async () => {
    backendWithLongChat();
    const store = new MessagesStore();
    await store.openAround(ALICE.id, BOB, 100);
    store.merge(ALICE.id, BOB, [
      message(301),
      message(100, { body: 'edited', edited: true }),
      message(1), // older than the window, which is not at the local start: a gap
      message(2000, { at: message(120).at + 1 }), // within its span
    ]);
    expect(ids(store)).not.toContain(301);
    expect(ids(store)).not.toContain(1);
    expect(ids(store)).toContain(2000);
    expect(store.timeline(ALICE.id, BOB).messages.find((m) => m.id === 100)?.body).toBe('edited');
  });

  test('jump to latest, opening again and sending go back to the newest page', async () => {
    const backend = backendWithLongChat();
    const store = new MessagesStore();
    await store.openAround(ALICE.id, BOB, 100);
    await store.jumpToLatest(ALICE.id, BOB);
    expect(ids(store)).toEqual(range(251, 300));
    expect(store.timeline(ALICE.id, BOB).atLiveEnd).toBe(true);

    await store.openAround(ALICE.id, BOB, 100);
    await store.open(ALICE.id, BOB);
    expect(ids(store)).toEqual(range(251, 300));

    await store.openAround(ALICE.id, BOB, 100);
    const sent = await store.send(ALICE.id, BOB, 'hello');
    expect(ids(store).at(-1)).toBe(sent.id);
    expect(ids(store)).toHaveLength(PAGE_SIZE);
    expect(store.timeline(ALICE.id, BOB).atLiveEnd).toBe(true);
    expect(backend.callsOf('send_message')).toHaveLength(1);
  });

  test('a page asked for before the window replaced the timeline is dropped', async () => {
    const backend = backendWithLongChat();
    const store = new MessagesStore();
    await store.open(ALICE.id, BOB);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    backend.on('load_messages', async (a) => {
      await gate;
      backend.overrides.delete('load_messages');
      return backend.messages.filter((m) => m.id < (a['before'] as number)).slice(-PAGE_SIZE);
    });
    const earlier = store.loadEarlier(ALICE.id, BOB);
    await store.openAround(ALICE.id, BOB, 100);
    release();
    await earlier;
    expect(ids(store)).toEqual(range(100 - AROUND_SIZE, 100 + AROUND_SIZE));
  });

  test('a message no longer stored rejects, and a chat never opened stays unopened', async () => {
    backendWithLongChat();
    const store = new MessagesStore();
    await expect(store.openAround(ALICE.id, BOB, 9999)).rejects.toMatchObject({ code: 'not_found' });
    expect(ids(store)).toEqual([]);
    await store.open(ALICE.id, BOB);
    expect(ids(store)).toEqual(range(251, 300));
  });
});

describe('MessagesStore during a burst', () => {
  test('at the newest messages the timeline keeps a window; reading back keeps everything', async () => {
    const backend = new FakeBackend();
    backend.paged = true;
    backend.messages = range(1, 10).map((i) => message(i));
    const store = new MessagesStore();
    await store.open(ALICE.id, BOB);
    for (let i = 11; i <= 1000; i += 10) {
      store.merge(ALICE.id, BOB, range(i, i + 9).map((n) => message(n)));
    }
    let timeline = store.timeline(ALICE.id, BOB);
    expect(timeline.messages.length).toBeLessThanOrEqual(LIVE_WINDOW + PAGE_SIZE);
    expect(timeline.messages.at(-1)?.id, 'the newest is shown').toBe(1000);
    expect(timeline.reachedStart, 'older ones are stored, to be read on scrolling up').toBe(false);

    // Scrolled up: nothing is dropped while the user reads.
    store.setReading(ALICE.id, BOB, true);
    const kept = timeline.messages.length;
    store.merge(ALICE.id, BOB, range(1001, 1100).map((n) => message(n)));
    timeline = store.timeline(ALICE.id, BOB);
    expect(timeline.messages.length).toBe(kept + 100);
    expect(timeline.messages[0]?.id).toBe(1000 - kept + 1);

    // Back at the bottom (or the chat closed): trimmed to the newest window.
    store.setReading(ALICE.id, BOB, false);
    timeline = store.timeline(ALICE.id, BOB);
    expect(timeline.messages.map((m) => m.id)).toEqual(range(1100 - LIVE_WINDOW + 1, 1100));
    expect(timeline.localStart).toBe(false);
  });
});
