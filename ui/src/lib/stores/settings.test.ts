import { describe, expect, test } from 'vitest';
import { DEFAULT_FREQUENT_EMOJIS, SETTINGS_KEY, SettingsStore } from './settings.svelte';

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
});
