// Accounts and their connection state, keyed by account id.

import { SvelteMap } from 'svelte/reactivity';
import * as ipc from '../ipc';
import type {
  AccountView,
  AddAccountRequest,
  ConnectionState,
  FieldValues,
  OwnShow,
  RegistrationForm,
  RegistrationServer,
} from '../ipc';

/** The presence the user chose for one of their accounts. */
export interface OwnPresence {
  show: OwnShow;
  /** Status text; null for none. */
  status: string | null;
}

/** What an account announces until the user picks something else. */
export const DEFAULT_PRESENCE: OwnPresence = { show: 'available', status: null };

export class AccountsStore {
  readonly #byId = new SvelteMap<number, AccountView>();
  /** Own presence per account, as last set from this UI (the backend does not report it). */
  readonly #presence = new SvelteMap<number, OwnPresence>();

  /** Tickets of `load` calls, so an older answer resolving last does not win. */
  #loads = 0;

  /** True once the first `list_accounts` answered. */
  loaded = $state(false);

  /** Accounts in creation order (ids grow). */
  readonly list: AccountView[] = $derived([...this.#byId.values()].sort((a, b) => a.id - b.id));

  get(accountId: number): AccountView | undefined {
    return this.#byId.get(accountId);
  }

  /** Replaces every account with the backend's list. */
  async load(): Promise<void> {
    const ticket = ++this.#loads;
    const accounts = await ipc.listAccounts();
    if (ticket !== this.#loads) return;
    this.#byId.clear();
    for (const account of accounts) this.#byId.set(account.id, account);
    this.loaded = true;
  }

  upsert(account: AccountView): void {
    this.#byId.set(account.id, account);
  }

  /**
   * Applies a `linnet://account-state` event. Returns false when the account is unknown
   * (the caller should reload the list).
   */
  applyState(accountId: number, state: ConnectionState): boolean {
    const account = this.#byId.get(accountId);
    if (!account) return false;
    this.#byId.set(accountId, { ...account, state });
    return true;
  }

  async add(request: AddAccountRequest): Promise<AccountView> {
    return this.#learn(await ipc.addAccount(request));
  }

  /** A server's sign-up form (XEP-0077), on a connection kept open for `register`. */
  registrationForm(server: RegistrationServer): Promise<RegistrationForm> {
    return ipc.registrationForm(server);
  }

  /** Abandons a sign-up form, closing its connection; a failure only leaves it to expire. */
  async cancelRegistration(session: string): Promise<void> {
    try {
      await ipc.cancelRegistration(session);
    } catch {
      // The backend drops it after 10 minutes anyway.
    }
  }

  /**
   * Creates the account on the server with the sign-up form's values (on the form's
   * `session`); the backend adds and connects it, as `add` does.
   */
  async register(session: string, values: FieldValues[], sessionOnly: boolean): Promise<AccountView> {
    return this.#learn(await ipc.registerAccount(session, values, sessionOnly));
  }

  /** Keeps a new account; an account-state event that overtook the answer has the newer state. */
  #learn(account: AccountView): AccountView {
    const known = this.#byId.get(account.id);
    this.#byId.set(account.id, known ? { ...account, state: known.state } : account);
    return account;
  }

  async remove(accountId: number): Promise<void> {
    await ipc.removeAccount(accountId);
    this.#forget(accountId);
  }

  /** Deletes the account on the server (XEP-0077 §3.2); the backend then removes it here too. */
  async deleteOnServer(accountId: number): Promise<void> {
    await ipc.deleteAccountOnServer(accountId);
    this.#forget(accountId);
  }

  #forget(accountId: number): void {
    this.#byId.delete(accountId);
    this.#presence.delete(accountId);
  }

  /**
   * Changes the connection settings (host/port override, direct TLS); the backend reconnects.
   * A state event that arrived while the command ran is newer than the answer's state: kept.
   */
  async update(
    accountId: number,
    settings: {
      host: string | null;
      port: number | null;
      directTls: boolean;
      allowPlain?: boolean | null;
      proxy?: string | null;
    },
  ): Promise<AccountView> {
    const stateBefore = this.#byId.get(accountId)?.state;
    const account = await ipc.updateAccount(
      accountId,
      settings.host,
      settings.port,
      settings.directTls,
      settings.allowPlain ?? null,
      settings.proxy ?? null,
    );
    const known = this.#byId.get(accountId);
    if (!known) return account; // Removed meanwhile: don't bring it back.
    const state = known.state !== stateBefore ? known.state : account.state;
    this.#byId.set(accountId, { ...account, state });
    return account;
  }

  async setEnabled(accountId: number, enabled: boolean): Promise<void> {
    await ipc.setAccountEnabled(accountId, enabled);
    const account = this.#byId.get(accountId);
    if (account) this.#byId.set(accountId, { ...account, enabled });
  }

  async trustCertificate(accountId: number, sha256: string): Promise<void> {
    await ipc.trustCertificate(accountId, sha256);
  }

  /**
   * Stores a new password (after `auth_failed`, `password_missing`...); the backend reconnects.
   * `sessionOnly`: kept in memory until the app quits instead of the keyring.
   */
  async setPassword(accountId: number, password: string, sessionOnly: boolean): Promise<void> {
    await ipc.setPassword(accountId, password, sessionOnly);
  }

  /** Changes the password on the server (XEP-0077 §3.3), then here; the backend reconnects. */
  async changePassword(accountId: number, password: string): Promise<void> {
    await ipc.changePassword(accountId, password);
  }

  /** Our presence on the account: as just set here, else as the backend keeps it. */
  presenceOf(accountId: number): OwnPresence {
    const set = this.#presence.get(accountId);
    if (set) return set;
    const account = this.#byId.get(accountId);
    if (!account || account.own_show === 'offline') return DEFAULT_PRESENCE;
    return { show: account.own_show, status: account.own_status };
  }

  /** Shows the new presence at once; puts the old one back if the backend refuses it. */
  async setPresence(accountId: number, presence: OwnPresence): Promise<void> {
    const previous = this.#presence.get(accountId);
    this.#presence.set(accountId, presence);
    try {
      await ipc.setPresence(accountId, presence.show, presence.status);
    } catch (error) {
      if (previous) this.#presence.set(accountId, previous);
      else this.#presence.delete(accountId);
      throw error;
    }
  }
}
