// Inbound subscription requests (RFC 6121 §3.1.3) not answered yet, keyed by account id.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type { SubscriptionRequestView } from '../ipc';
import { LatestLoad } from './latest';

export class SubscriptionRequestsStore {
  readonly #byAccount = new SvelteMap<number, SubscriptionRequestView[]>();
  readonly #loads = new LatestLoad();

  /** Every account's requests, oldest first. */
  readonly all: SubscriptionRequestView[] = $derived(
    [...this.#byAccount.values()]
      .flat()
      .sort((a, b) => a.received_at - b.received_at || a.jid.localeCompare(b.jid)),
  );

  forAccount(accountId: number): SubscriptionRequestView[] {
    return this.#byAccount.get(accountId) ?? [];
  }

  /** Reloads one account's requests (after `linnet://roster` or when it comes online). */
  async load(accountId: number): Promise<void> {
    const ticket = this.#loads.begin(accountId);
    const requests = await ipc.listSubscriptionRequests(accountId);
    if (this.#loads.isLatest(accountId, ticket)) this.#byAccount.set(accountId, requests);
  }

  /** Lets `jid` see our presence (and asks for theirs); the request leaves the list. */
  async approve(accountId: number, jid: string): Promise<void> {
    await ipc.approveSubscription(accountId, jid);
    this.#drop(accountId, jid);
  }

  /** Refuses the request; it leaves the list. */
  async deny(accountId: number, jid: string): Promise<void> {
    await ipc.denySubscription(accountId, jid);
    this.#drop(accountId, jid);
  }

  forget(accountId: number): void {
    this.#byAccount.delete(accountId);
  }

  #drop(accountId: number, jid: string): void {
    this.#loads.begin(accountId);
    this.#byAccount.set(
      accountId,
      this.forAccount(accountId).filter((r) => r.jid !== jid),
    );
  }
}
