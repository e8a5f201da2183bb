// The user's app-wide preferences, kept in the webview's localStorage (they concern this
// installation, not an account): whether to tell others when we are typing (XEP-0085 chat
// states), which emojis we react with most, up to what size contacts' images are fetched by
// themselves for their inline preview, and whether closing the window keeps Linnet in the
// tray (the one the shell is told of, `set_close_to_tray`), and the theme (light, dark, or the
// system's).

import * as ipc from '../ipc';

/** The look: the system's light or dark scheme, or one pinned. */
export type Theme = 'system' | 'light' | 'dark';

/** The theme choices, as the settings offer them. */
export const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'As the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Puts `theme` on the page: `data-theme` on the root element (app.css reads it). */
export function applyTheme(theme: Theme, root: HTMLElement | undefined = globalThis.document?.documentElement): void {
  if (!root) return;
  if (theme === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = theme;
}

/** localStorage key of the settings, one JSON object. */
export const SETTINGS_KEY = 'linnet.settings';

/** Emojis offered first before the user has reacted with any. */
export const DEFAULT_FREQUENT_EMOJIS: readonly string[] = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '👀'];

/**
 * The choices for images fetched by themselves (bytes; 0: never), each with its words. The
 * engine's own ceiling is 16 MiB: larger images are only ever downloaded on request.
 */
export const AUTO_IMAGE_CHOICES: readonly { bytes: number; label: string }[] = [
  { bytes: 0, label: 'Never: only when I click "Show image"' },
  { bytes: 1_000_000, label: 'Up to 1 MB' },
  { bytes: 5_000_000, label: 'Up to 5 MB' },
  { bytes: 16 * 1024 * 1024, label: 'Up to 16 MB' },
];

/** The default: what the engine allows (16 MiB). */
export const DEFAULT_AUTO_IMAGE_BYTES = 16 * 1024 * 1024;

/** How many emojis the picker's "Frequently used" row holds. */
export const FREQUENT_COUNT = 8;

/** How many emojis' use counts are remembered. */
const MAX_REMEMBERED = 64;

interface Stored {
  sendChatStates?: unknown;
  emojiUse?: unknown;
  autoImageBytes?: unknown;
  closeToTray?: unknown;
  theme?: unknown;
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

  /**
   * Images from contacts in the roster are fetched for their preview by themselves up to this
   * size (bytes); 0: never. Images from strangers and rooms never are (the engine's rule).
   */
  autoImageBytes = $state(DEFAULT_AUTO_IMAGE_BYTES);

  /**
   * Closing the window keeps Linnet running in the tray (where the session has one): still
   * connected, still notifying. Off: closing quits.
   */
  closeToTray = $state(true);

  /** Light, dark, or as the system says. */
  theme: Theme = $state('system');

  /** How often each emoji was used in a reaction. */
  #emojiUse: Record<string, number> = $state({});

  readonly #storage: Storage | null;

  constructor(storage: Storage | null = defaultStorage()) {
    this.#storage = storage;
    const stored = this.#read();
    if (typeof stored.sendChatStates === 'boolean') this.sendChatStates = stored.sendChatStates;
    if (typeof stored.closeToTray === 'boolean') this.closeToTray = stored.closeToTray;
    if (THEMES.some((t) => t.value === stored.theme)) this.theme = stored.theme as Theme;
    applyTheme(this.theme);
    if (AUTO_IMAGE_CHOICES.some((c) => c.bytes === stored.autoImageBytes)) {
      this.autoImageBytes = stored.autoImageBytes as number;
    }
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

  /** Sets the theme, applied at once. */
  setTheme(theme: Theme): void {
    if (!THEMES.some((t) => t.value === theme)) return;
    this.theme = theme;
    applyTheme(theme);
    this.#write();
  }

  /** Closing the window keeps Linnet in the tray, or quits; the shell is told at once. */
  setCloseToTray(keep: boolean): void {
    this.closeToTray = keep;
    this.#write();
    ipc.setCloseToTray(keep).catch(() => undefined);
  }

  /** Sets the size up to which contacts' images are fetched by themselves (0: never). */
  setAutoImageBytes(bytes: number): void {
    if (!AUTO_IMAGE_CHOICES.some((c) => c.bytes === bytes)) return;
    this.autoImageBytes = bytes;
    this.#write();
  }

  /** Whether an image of `size` bytes (null: unknown) may be fetched for its preview now. */
  fetchesImage(size: number | null): boolean {
    if (this.autoImageBytes === 0) return false;
    return size === null || size <= this.autoImageBytes;
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
        JSON.stringify({
          sendChatStates: this.sendChatStates,
          emojiUse: this.#emojiUse,
          autoImageBytes: this.autoImageBytes,
          closeToTray: this.closeToTray,
          theme: this.theme,
        }),
      );
    } catch {
      // Storage full or disabled: the setting holds for this run.
    }
  }
}
