// The progress of running file transfers, by message id.
import { describe, expect, test } from 'vitest';
import type { FileProgressEvent } from '../ipc';
import { fileView, message } from '../../test/backend';
import { FileTransfersStore, transferPercent } from './files.svelte';

function progress(id: number, done: number, total: number | null, upload = true): FileProgressEvent {
  return { account_id: 1, peer: 'bob@example.org', message_id: id, upload, done, total };
}

describe('file transfers', () => {
  test('keeps the latest progress of each message until it is done', () => {
    const store = new FileTransfersStore();
    store.apply(progress(1, 100, 1000));
    store.apply(progress(2, 5, null, false));
    store.apply(progress(1, 400, 1000));
    expect(store.get(1)?.done).toBe(400);
    expect(store.get(2)?.upload).toBe(false);

    store.apply(progress(1, 1000, 1000));
    expect(store.get(1), 'done').toBeUndefined();
    store.clear(2);
    expect(store.get(2)).toBeUndefined();
  });

  test('an upload ends with its row: uploaded or failed; not with a download’s row', () => {
    const store = new FileTransfersStore();
    store.apply(progress(1, 100, null));
    store.apply(progress(2, 100, null));
    store.apply(progress(3, 100, null));
    store.apply(progress(4, 100, null, false));
    store.settle([
      message(1, { outgoing: true, state: 'pending', file: fileView('a', { uploading: true }) }),
      message(2, { outgoing: true, state: 'sent', file: fileView('b') }),
      message(3, { outgoing: true, state: 'failed', file: fileView('c', { uploading: true }) }),
      message(4, { file: fileView('d') }),
    ]);
    expect(store.get(1), 'still uploading').toBeDefined();
    expect(store.get(2)).toBeUndefined();
    expect(store.get(3)).toBeUndefined();
    expect(store.get(4), 'a download runs until save_file settles').toBeDefined();
  });

  test('forgets the transfers of a removed account', () => {
    const store = new FileTransfersStore();
    store.apply(progress(1, 1, null));
    store.apply({ ...progress(2, 1, null), account_id: 2 });
    store.forget(1);
    expect(store.get(1)).toBeUndefined();
    expect(store.get(2)).toBeDefined();
  });

  test('percent: whole, capped, null without a size', () => {
    expect(transferPercent({ done: 419, total: 1000 })).toBe(41);
    expect(transferPercent({ done: 1200, total: 1000 })).toBe(100);
    expect(transferPercent({ done: 5, total: null })).toBeNull();
    expect(transferPercent({ done: 0, total: 0 })).toBeNull();
  });
});
