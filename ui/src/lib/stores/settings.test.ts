import { describe, expect, test } from 'vitest';
import {
  DEFAULT_AUTO_IMAGE_BYTES,
  DEFAULT_FREQUENT_EMOJIS,
  SETTINGS_KEY,
  SettingsStore,
} from './settings.svelte';

describe('settings', () => {
  test('chat states are sent by default; the choice persists', () => {
    expect(new SettingsStore().sendChatStates).toBe(true);
    new SettingsStore().setSendChatStates(false);
    expect(new SettingsStore().sendChatStates).toBe(false);
    expect(JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}')).toMatchObject({ sendChatStates: false });
  });

  test('frequently used emojis: most used first, then the defaults', () => {
    const settings = new SettingsStore();
    expect(settings.frequentEmojis).toEqual(DEFAULT_FREQUENT_EMOJIS);
    settings.useEmoji('🦀');
    settings.useEmoji('🎉');
    settings.useEmoji('🦀');
    const again = new SettingsStore();
    expect(again.frequentEmojis.slice(0, 3)).toEqual(['🦀', '🎉', '👍']);
    expect(again.frequentEmojis).toHaveLength(DEFAULT_FREQUENT_EMOJIS.length);
  });

  test('bad stored data, or no storage at all, gives the defaults', () => {
    localStorage.setItem(SETTINGS_KEY, '{not json');
    expect(new SettingsStore().sendChatStates).toBe(true);
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ sendChatStates: 'no', emojiUse: { '🦀': 'x' } }));
    expect(new SettingsStore().sendChatStates).toBe(true);
    expect(new SettingsStore().frequentEmojis).toEqual(DEFAULT_FREQUENT_EMOJIS);
    const unstored = new SettingsStore(null);
    unstored.setSendChatStates(false);
    expect(unstored.sendChatStates).toBe(false);
  });

  test('images show by themselves up to 16 MB by default; a choice persists, others are ignored', () => {
    localStorage.removeItem(SETTINGS_KEY);
    const settings = new SettingsStore();
    expect(settings.autoImageBytes).toBe(DEFAULT_AUTO_IMAGE_BYTES);
    expect(settings.fetchesImage(3_000_000)).toBe(true);
    expect(settings.fetchesImage(null), 'unknown size: the engine caps it').toBe(true);
    expect(settings.fetchesImage(20_000_000)).toBe(false);
    settings.setAutoImageBytes(1_000_000);
    settings.setAutoImageBytes(123);
    const again = new SettingsStore();
    expect(again.autoImageBytes).toBe(1_000_000);
    expect(again.fetchesImage(3_000_000)).toBe(false);
    again.setAutoImageBytes(0);
    expect(new SettingsStore().fetchesImage(10)).toBe(false);
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({ autoImageBytes: -5 }));
    expect(new SettingsStore().autoImageBytes).toBe(DEFAULT_AUTO_IMAGE_BYTES);
  });
});
