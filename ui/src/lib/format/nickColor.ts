// Consistent nickname colours (XEP-0392, Consistent Color Generation): the hue angle comes
// from the nickname's SHA-1 as §5.1 says, so a nickname has the same hue in Linnet as in
// Conversations, Dino or Gajim, in every room and session. Only the hue comes from here; the
// stylesheet fixes lightness and chroma per theme in OKLCH, which is perceptually even, so
// every hue reads alike and keeps its contrast on light and dark backgrounds (see `.sender` in
// MessageRow and the occupant list). Components set it as `style:--nick-hue={nickHue(nick)}`.

import { sha1 } from '@noble/hashes/legacy.js';

const encoder = new TextEncoder();
/** Hues by nickname: a room shows the same few hundred names over and over. */
const cache = new Map<string, number>();
const CACHE_LIMIT = 5000;

/**
 * The hue angle in degrees, [0, 360), for a nickname (XEP-0392 §5.1): the first two bytes of
 * SHA-1 over its UTF-8 form, read as a little-endian 16-bit number, divided by 65536.
 */
export function nickHue(nick: string): number {
  const known = cache.get(nick);
  if (known !== undefined) return known;
  const digest = sha1(encoder.encode(nick));
  const hue = (((digest[0] ?? 0) | ((digest[1] ?? 0) << 8)) / 65536) * 360;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(nick, hue);
  return hue;
}
