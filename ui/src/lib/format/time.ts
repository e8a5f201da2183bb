// Dates and times for the chat view. `now` is always passed in, never read here.

import type { MessageView } from '../ipc';

/** Local calendar day of a unix-ms instant, as "YYYY-MM-DD" (sortable, comparable). */
export function dayKey(at: number): string {
  const d = new Date(at);
  const month = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${month}-${day}`;
}

/** "Today", "Yesterday", or a full local date such as "Monday, 3 March 2025". */
export function dayLabel(at: number, now: number): string {
  const key = dayKey(at);
  if (key === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (key === dayKey(yesterday.getTime())) return 'Yesterday';
  return new Date(at).toLocaleDateString(undefined, { dateStyle: 'full' });
}

/** Local clock time, hours and minutes ("14:05" or "2:05 PM" by locale). */
export function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Full local date and time, for tooltips. */
export function fullTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' });
}

/** Short time for lists: clock time today, otherwise a short date. */
export function shortWhen(at: number, now: number): string {
  if (dayKey(at) === dayKey(now)) return clockTime(at);
  return new Date(at).toLocaleDateString(undefined, { dateStyle: 'short' });
}

export type TimelineItem =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'message'; key: string; message: MessageView };

/** Messages (oldest first) with a day separator before the first message of each day. */
export function withDaySeparators(messages: readonly MessageView[], now: number): TimelineItem[] {
  const items: TimelineItem[] = [];
  let currentDay: string | null = null;
  for (const message of messages) {
    const day = dayKey(message.at);
    if (day !== currentDay) {
      currentDay = day;
      items.push({ kind: 'day', key: `day-${day}`, label: dayLabel(message.at, now) });
    }
    items.push({ kind: 'message', key: `msg-${message.id}`, message });
  }
  return items;
}
