// How far each running file transfer has come (`linnet://file-progress`), by message id (row
// ids are unique across accounts, as `save_file` and `cancel_upload` take them): our uploads
// (XEP-0363) and the downloads the user asked for (`save_file`). Not stored by the backend,
// only the latest event of each is kept, and only while it runs: a transfer is forgotten once
// it is done (every byte moved, its row no longer uploading or failed, or `save_file` settled).

import { SvelteMap } from 'svelte/reactivity';
import type { FileProgressEvent, MessageView } from '../ipc';

export class FileTransfersStore {
  readonly #transfers = new SvelteMap<number, FileProgressEvent>();

  /** The running transfer of a message's file, if any. */
  get(messageId: number): FileProgressEvent | undefined {
    return this.#transfers.get(messageId);
  }

  /** Applies a `linnet://file-progress` event: the transfer's latest state, or done. */
  apply(event: FileProgressEvent): void {
    if (event.total !== null && event.done >= event.total) this.#transfers.delete(event.message_id);
    else this.#transfers.set(event.message_id, event);
  }

  /** Forgets the transfer of one message (its download settled). */
  clear(messageId: number): void {
    this.#transfers.delete(messageId);
  }

  /**
   * Forgets the transfers that changed rows say are over: uploads uploaded (no longer
   * `uploading`) or failed (cancelled, refused); peer-to-peer ones (Jingle) no longer offered
   * or active, either way.
   */
  settle(messages: readonly MessageView[]): void {
    for (const m of messages) {
      const running = this.#transfers.get(m.id);
      if (!running) continue;
      const direct = m.file?.transfer;
      if (direct) {
        if (direct.state !== 'offered' && direct.state !== 'active') this.#transfers.delete(m.id);
      } else if (running.upload && (!m.file?.uploading || m.state === 'failed')) {
        this.#transfers.delete(m.id);
      }
    }
  }

  /** Forgets the transfers of an account (removed). */
  forget(accountId: number): void {
    for (const [id, transfer] of [...this.#transfers]) {
      if (transfer.account_id === accountId) this.#transfers.delete(id);
    }
  }
}

/** The whole percentage a transfer has come, when its size is known. */
export function transferPercent(transfer: Pick<FileProgressEvent, 'done' | 'total'>): number | null {
  if (transfer.total === null || transfer.total <= 0) return null;
  return Math.min(100, Math.floor((transfer.done / transfer.total) * 100));
}
