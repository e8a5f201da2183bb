// First use of a few things a message row needs is slow in WebKit: ICU loads its locale data
// for the first date format, the link matcher's large Unicode regular expressions are compiled
// on their first run, SHA-1 for nickname colours is cold. Paying that while the app sits idle
// after start-up, instead of inside the frame that shows the first messages, took the longest
// frame of joining a busy room from ~120 ms to under 100 ms on the 2-core test machine.

import { parseStyling } from '../components/chat/styling';
import { nickHue } from './nickColor';
import { clockTime, dayLabel, fullTime } from './time';

/** Runs the first-use costs of message rendering once, after `delayMs` (idle time). */
export function warmUpMessageRendering(delayMs = 1500): void {
  setTimeout(() => {
    const now = Date.now();
    parseStyling('see *https://example.org/a?b=c#d* or _xmpp:room@conference.example.org?join_');
    clockTime(now);
    fullTime(now);
    dayLabel(now - 3 * 86_400_000, now);
    nickHue('linnet');
  }, delayMs);
}
