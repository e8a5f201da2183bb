// The OMEMO devices (XEP-0384) of the contacts whose chats were opened, with our trust in each:
// what the chat's "Encryption details" dialog lists and its "Verified" badge sums up.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { DeviceView, Trust } from '../ipc';
import { chatKey } from './messages.svelte';

export class OmemoStore {
  /** By chat: the devices seen of the peer, oldest first. Not in here: not loaded yet. */
  readonly #devices = new SvelteMap<string, DeviceView[]>();
  /** Bumped by every load: an answer is only applied while it is the latest. */
  readonly #seq = new Map<string, number>();

  /** The devices seen of `peer`, undefined before `load` answered. */
  devices(accountId: number, peer: string): DeviceView[] | undefined {
    return this.#devices.get(chatKey(accountId, peer));
  }

  /** Whether they were loaded (the chat's OMEMO details are shown). */
  isLoaded(accountId: number, peer: string): boolean {
    return this.#devices.has(chatKey(accountId, peer));
  }

  /**
   * Whether we verified every device of `peer` (and there is at least one): a device distrusted,
   * or a new one not verified yet, takes it away.
   */
  allVerified(accountId: number, peer: string): boolean {
    const devices = this.devices(accountId, peer);
    return devices !== undefined && devices.length > 0 && devices.every((d) => d.trust === 'verified');
  }

  /** (Re)reads the devices of `peer` from the backend. */
  async load(accountId: number, peer: string): Promise<void> {
    const key = chatKey(accountId, peer);
    const seq = (this.#seq.get(key) ?? 0) + 1;
    this.#seq.set(key, seq);
    const devices = await ipc.omemoDevices(accountId, peer);
    if (this.#seq.get(key) === seq) this.#devices.set(key, devices);
  }

  /** Sets our trust in one device of `peer`, then reads the list again. */
  async setTrust(accountId: number, peer: string, deviceId: number, trust: Trust): Promise<void> {
    await ipc.setOmemoTrust(accountId, peer, deviceId, trust);
    await this.load(accountId, peer);
  }

  forget(accountId: number): void {
    const prefix = chatKey(accountId, '');
    for (const map of [this.#devices, this.#seq]) {
      for (const key of [...map.keys()]) {
        if (key.startsWith(prefix)) map.delete(key);
      }
    }
  }
}

/** Our trust in a device, in words: "Verified", "Not verified" (trusted blindly), "Distrusted". */
export function trustLabel(trust: Trust): string {
  switch (trust) {
    case 'verified':
      return 'Verified';
    case 'blind':
      return 'Not verified';
    case 'untrusted':
      return 'Distrusted';
    case 'undecided':
      return 'New, not trusted yet';
  }
}
