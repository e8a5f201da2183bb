// Consistent nickname colours, in the spirit of XEP-0392: a hash of the nickname picks a hue
// (the same nickname always gets the same one, in every room and session). Only the hue comes
// from here; the stylesheet fixes lightness and chroma per theme in OKLCH, which is
// perceptually even, so every hue reads alike and keeps its contrast on light and dark
// backgrounds (see `.sender` in MessageRow and the occupant list). Components set it as
// `style:--nick-hue={nickHue(nick)}`.

/** FNV-1a over the UTF-16 code units: small, fast and stable. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The hue, in degrees [0, 360), for a nickname. */
export function nickHue(nick: string): number {
  return fnv1a(nick) % 360;
}

