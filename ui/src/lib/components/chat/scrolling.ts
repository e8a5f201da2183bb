// Scroll decisions of the virtual message list (ChatView), kept apart so they can be tested
// without a layout engine.

import type { MessageView } from '../../ipc';

/** Closer than this to the end (px) counts as "at the bottom": new messages are followed. */
export const STICK_TO_BOTTOM_PX = 48;

/** Closer than this to the start (px) loads the previous page of history. */
export const LOAD_EARLIER_PX = 400;

/** Whether a list scrolled to `offset` shows its end (within `STICK_TO_BOTTOM_PX`). */
export function isAtBottom(offset: number, scrollSize: number, viewportSize: number): boolean {
  return scrollSize - viewportSize - offset <= STICK_TO_BOTTOM_PX;
}

/** Whether a list scrolled to `offset` is close enough to its start to load older messages. */
export function isNearTop(offset: number): boolean {
  return offset <= LOAD_EARLIER_PX;
}

/**
 * Whether the timeline grew at its start: its oldest message is now older than the one it had.
 * The list then keeps the scroll position from the end (virtua's `shift`), so what the user
 * reads stays in place; an append, an update or the first page are not a prepend.
 */
export function grewAtStart(
  previousOldest: MessageView | undefined,
  oldest: MessageView | undefined,
): boolean {
  if (!previousOldest || !oldest) return false;
  return oldest.at < previousOldest.at || (oldest.at === previousOldest.at && oldest.id < previousOldest.id);
}
