import { describe, expect, test } from 'vitest';
import { EMOJI_GROUPS, loadEmojis, normalizeEmoji, searchEmojis } from './emojiData';

describe('emoji data', () => {
  test('loads emojibase, without components, in its order, grouped as the picker shows', async () => {
    const entries = await loadEmojis();
    expect(entries.length).toBeGreaterThan(1500);
    expect(entries[0]?.emoji).toBe('😀');
    const groups = new Set(entries.map((e) => e.group));
    expect([...groups].sort((a, b) => a - b)).toEqual(EMOJI_GROUPS.map((g) => g.id));
    expect(entries.some((e) => e.label.includes('skin tone') && !e.label.includes(':'))).toBe(false);
  });

  test('drops the variation selector after emoji-presentation characters only', () => {
    expect(normalizeEmoji('👍\uFE0F')).toBe('👍');
    expect(normalizeEmoji('❤\uFE0F')).toBe('❤\uFE0F');
    expect(normalizeEmoji('🏳\uFE0F\u200D🌈')).toBe('🏳\uFE0F\u200D🌈');
  });

  test('search: names first, then keywords; every word must match', async () => {
    const entries = await loadEmojis();
    const thumbs = searchEmojis(entries, 'thumbs up');
    expect(thumbs[0]?.emoji).toBe('👍');
    expect(searchEmojis(entries, 'THUMB')[0]?.label).toMatch(/^thumbs/);
    expect(searchEmojis(entries, 'heart').map((e) => e.emoji)).toContain('❤️');
    expect(searchEmojis(entries, '+1').map((e) => e.emoji), 'a keyword').toContain('👍');
    expect(searchEmojis(entries, 'red heart')[0]?.emoji).toBe('❤️');
    expect(searchEmojis(entries, 'zzqqxx')).toEqual([]);
    expect(searchEmojis(entries, '   ')).toEqual([]);
    expect(searchEmojis(entries, 'face', 10)).toHaveLength(10);
  });
});
