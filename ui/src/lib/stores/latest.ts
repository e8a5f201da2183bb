// Keeps the answer of the newest load per account: invalidation events can arrive in bursts
// (every presence change is one), and an older answer resolving last must not win.

export class LatestLoad {
  readonly #latest = new Map<number, number>();
  #next = 0;

  /** Starts a load (or a local change that makes loads in flight stale); returns its ticket. */
  begin(accountId: number): number {
    const ticket = ++this.#next;
    this.#latest.set(accountId, ticket);
    return ticket;
  }

  /** True when no load for the account began after the one holding `ticket`. */
  isLatest(accountId: number, ticket: number): boolean {
    return this.#latest.get(accountId) === ticket;
  }
}
