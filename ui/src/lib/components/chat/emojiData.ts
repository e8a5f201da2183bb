// The emojis of the picker: emojibase's English compact data set (emojibase-data), bundled
// with the app and loaded the first time the picker opens (a chunk of its own, from the app
// itself: nothing is fetched from elsewhere), and a search over their names and keywords.

import type { CompactEmoji } from 'emojibase';

export interface EmojiEntry {
  /** The emoji, as it is sent (see `normalizeEmoji`). */
  emoji: string;
  /** Its CLDR name, e.g. "thumbs up". */
  label: string;
  /** Lower-case words to search: the name's words and the CLDR keywords. */
  words: readonly string[];
  /** Index into `EMOJI_GROUPS`. */
  group: number;
}

/** emojibase's groups in its order, without "components" (skin tones, hair: not emojis alone). */
export const EMOJI_GROUPS: ReadonlyArray<{ id: number; label: string; icon: string }> = [
  { id: 0, label: 'Smileys & emotion', icon: '😀' },
  { id: 1, label: 'People & body', icon: '👋' },
  { id: 3, label: 'Animals & nature', icon: '🐻' },
  { id: 4, label: 'Food & drink', icon: '🍔' },
  { id: 5, label: 'Travel & places', icon: '🚗' },
  { id: 6, label: 'Activities', icon: '⚽' },
  { id: 7, label: 'Objects', icon: '💡' },
  { id: 8, label: 'Symbols', icon: '❤️' },
  { id: 9, label: 'Flags', icon: '🏁' },
];

const COMPONENT_GROUP = 2;

/**
 * Without the variation selector U+FE0F after characters shown as emojis anyway ("👍️" is
 * "👍"), the form most clients send, so that reactions with the same emoji add up.
 */
export function normalizeEmoji(emoji: string): string {
  return emoji.replace(/(\p{Emoji_Presentation})\uFE0F/gu, '$1');
}

/** The picker's entries from emojibase's compact data, in emojibase's order. */
export function toEntries(data: readonly CompactEmoji[]): EmojiEntry[] {
  return data
    .filter((e) => e.group !== undefined && e.group !== COMPONENT_GROUP && e.order !== undefined)
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
    .map((e) => ({
      emoji: normalizeEmoji(e.unicode),
      label: e.label,
      words: [...new Set([...e.label.toLowerCase().split(/[\s:,]+/), ...(e.tags ?? [])])].filter(Boolean),
      group: e.group ?? 0,
    }));
}

let loading: Promise<EmojiEntry[]> | undefined;

/** Every emoji of the picker; loaded once. */
export function loadEmojis(): Promise<EmojiEntry[]> {
  loading ??= import('emojibase-data/en/compact.json')
    .then((module) => toEntries(module.default))
    .catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  return loading;
}

/**
 * The entries matching `query`: each of its words starts a word of the name or a keyword.
 * Names starting with the query come first, then other name matches, then keyword matches.
 */
export function searchEmojis(entries: readonly EmojiEntry[], query: string, limit = 120): EmojiEntry[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [];
  const whole = terms.join(' ');
  const ranked: Array<{ entry: EmojiEntry; rank: number; index: number }> = [];
  entries.forEach((entry, index) => {
    if (!terms.every((t) => entry.words.some((w) => w.startsWith(t)))) return;
    const label = entry.label.toLowerCase();
    const nameWords = label.split(/[\s:,]+/);
    const rank = label.startsWith(whole)
      ? 0
      : terms.every((t) => nameWords.some((w) => w.startsWith(t)))
        ? 1
        : 2;
    ranked.push({ entry, rank, index });
  });
  return ranked
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .slice(0, limit)
    .map((r) => r.entry);
}
