// The user's app-wide preferences, kept in the webview's localStorage (they concern this
// installation, not an account, and the backend has no use for them): whether to tell others
// when we are typing (XEP-0085 chat states), and which emojis we react with most.

/** localStorage key of the settings, one JSON object. */
export const SETTINGS_KEY = 'linnet.settings';

/** Emojis offered first before the user has reacted with any. */
export const DEFAULT_FREQUENT_EMOJIS: readonly string[] = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '👀'];

/** How many emojis the picker's "Frequently used" row holds. */
export const FREQUENT_COUNT = 8;

/** How many emojis' use counts are remembered. */
const MAX_REMEMBERED = 64;

interface Stored {
  sendChatStates?: unknown;
  emojiUse?: unknown;
}

/** The webview's localStorage, or null where it is unusable (say, disabled). */
function defaultStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export class SettingsStore {
  /** Send our chat states (typing, paused...) to the people we chat with. */
  sendChatStates = $state(true);

  /** How often each emoji was used in a reaction. */
  #emojiUse: Record<string, number> = $state({});

  readonly #storage: Storage | null;

  constructor(storage: Storage | null = defaultStorage()) {
    this.#storage = storage;
    const stored = this.#read();
    if (typeof stored.sendChatStates === 'boolean') this.sendChatStates = stored.sendChatStates;
    if (stored.emojiUse && typeof stored.emojiUse === 'object') {
      const use: Record<string, number> = {};
      for (const [emoji, count] of Object.entries(stored.emojiUse as Record<string, unknown>)) {
        if (typeof count === 'number' && Number.isFinite(count) && count > 0) use[emoji] = count;
      }
      this.#emojiUse = use;
    }
  }

  setSendChatStates(send: boolean): void {
    this.sendChatStates = send;
    this.#write();
  }

  /** Counts one use of `emoji` (a reaction), for `frequentEmojis`. */
  useEmoji(emoji: string): void {
    const use = { ...this.#emojiUse, [emoji]: (this.#emojiUse[emoji] ?? 0) + 1 };
    const kept = Object.entries(use)
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_REMEMBERED);
    this.#emojiUse = Object.fromEntries(kept);
    this.#write();
  }

  /** The emojis used most, most first, topped up with the defaults to `FREQUENT_COUNT`. */
  get frequentEmojis(): string[] {
    const used = Object.entries(this.#emojiUse)
      .sort((a, b) => b[1] - a[1])
      .map(([emoji]) => emoji);
    const all = [...used, ...DEFAULT_FREQUENT_EMOJIS.filter((e) => !used.includes(e))];
    return all.slice(0, FREQUENT_COUNT);
  }

  #read(): Stored {
    try {
      const text = this.#storage?.getItem(SETTINGS_KEY);
      const value: unknown = text ? JSON.parse(text) : {};
      return value && typeof value === 'object' ? (value as Stored) : {};
    } catch {
      return {};
    }
  }

  #write(): void {
    try {
      this.#storage?.setItem(
        SETTINGS_KEY,
        JSON.stringify({ sendChatStates: this.sendChatStates, emojiUse: this.#emojiUse }),
      );
    } catch {
      // Storage full or disabled: the setting holds for this run.
    }
  }
}
