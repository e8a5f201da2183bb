import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatStateName } from '../../ipc';
import { ChatStateSender, PAUSED_AFTER_MS } from './chatStateSender';
import { typingText } from './typing';

describe('our chat states (XEP-0085 §5.1)', () => {
  let sent: ChatStateName[];
  let sender: ChatStateSender;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    sender = new ChatStateSender((state) => sent.push(state));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('composing once while typing, paused after a while, composing again', () => {
    sender.input(true);
    sender.input(true);
    vi.advanceTimersByTime(PAUSED_AFTER_MS - 1);
    sender.input(true);
    vi.advanceTimersByTime(PAUSED_AFTER_MS - 1);
    expect(sent).toEqual(['composing']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['composing', 'paused']);
    sender.input(true);
    expect(sent).toEqual(['composing', 'paused', 'composing']);
  });

  test('active when sent or emptied, never twice', () => {
    sender.input(true);
    sender.sent();
    sender.input(false);
    expect(sent).toEqual(['composing', 'active']);
    sender.input(true);
    sender.input(false);
    sender.input(false);
    expect(sent).toEqual(['composing', 'active', 'composing', 'active']);
    vi.advanceTimersByTime(PAUSED_AFTER_MS * 2);
    expect(sent, 'no paused after the composer was emptied').toHaveLength(4);
  });

  test('inactive when the chat loses the focus, active when it is back; nothing before typing', () => {
    sender.blur();
    sender.focus();
    expect(sent, 'nothing to tell before the user typed').toEqual([]);
    sender.input(true);
    sender.blur();
    sender.blur();
    vi.advanceTimersByTime(PAUSED_AFTER_MS * 2);
    sender.focus();
    sender.focus();
    expect(sent).toEqual(['composing', 'inactive', 'active']);
  });
});

describe('typing line', () => {
  test.each([
    [[], ''],
    [['bob'], 'bob is typing…'],
    [['alice', 'bob'], 'alice and bob are typing…'],
    [['alice', 'bob', 'carol'], 'several people are typing…'],
  ])('%j: %s', (names, text) => {
    expect(typingText(names)).toBe(text);
  });
});
