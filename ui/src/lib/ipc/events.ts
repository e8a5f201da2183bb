// Typed subscriptions to backend events.

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { EventName, Events } from './bindings';

export type { UnlistenFn };

/** Subscribes `handler` to one backend event; resolves to the function that unsubscribes. */
export function subscribe<E extends EventName>(
  name: E,
  handler: (payload: Events[E]) => void,
): Promise<UnlistenFn> {
  return listen<Events[E]>(name, (event) => handler(event.payload));
}

/** Subscribes to several events at once; the returned function removes all of them. */
export async function subscribeAll(
  subscriptions: ReadonlyArray<Promise<UnlistenFn>>,
): Promise<UnlistenFn> {
  const results = await Promise.allSettled(subscriptions);
  const unlisteners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const unlistenAll = (): void => {
    for (const unlisten of unlisteners) quietly(unlisten);
  };
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) {
    unlistenAll();
    const reason: unknown = failure.reason;
    throw reason;
  }
  return unlistenAll;
}

/**
 * Runs an unlisten function, ignoring failure: it runs on teardown, when the webview (or a
 * test's mocked IPC) may already be gone, and a listener that is not removed does no harm then.
 * Tauri's UnlistenFn is typed as returning void but is async, so its rejection is caught too.
 */
function quietly(unlisten: UnlistenFn): void {
  try {
    const result: unknown = unlisten();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // See above.
  }
}
