// Long message bodies are shown collapsed (MessageBody): only their start is parsed and
// rendered until the user asks for the rest, so a 64 KiB paste costs what a screenful does.

/** A body longer than this (UTF-16 code units) is collapsed. */
export const COLLAPSE_CHARS = 3000;
/** A body of more lines than this is collapsed. */
export const COLLAPSE_LINES = 40;
/** A collapsed body shows at most this much of its start... */
export const PREVIEW_CHARS = 1500;
/** ...and at most this many lines. */
export const PREVIEW_LINES = 20;

/** How far back from a cut by length a space is looked for, to end on a whole word. */
const WORD_BACKTRACK = 80;

/** Index of the `n`th line break of `text` before `limit`, or -1 when there are fewer. */
function nthNewline(text: string, n: number, limit: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = text.indexOf('\n', at + 1);
    if (at < 0 || at >= limit) return -1;
  }
  return at;
}

/** Whether a body is long enough to be collapsed: over COLLAPSE_CHARS or COLLAPSE_LINES. */
export function isLongBody(body: string): boolean {
  return body.length > COLLAPSE_CHARS || nthNewline(body, COLLAPSE_LINES, body.length) >= 0;
}

/**
 * The start of a long body to show collapsed: its first PREVIEW_LINES lines, at most
 * PREVIEW_CHARS, ending on a whole word when one ends near the cut, never inside a surrogate
 * pair. Null for a body short enough to show whole.
 */
export function collapsedPreview(body: string): string | null {
  if (!isLongBody(body)) return null;
  let end = Math.min(body.length, PREVIEW_CHARS);
  const lineEnd = nthNewline(body, PREVIEW_LINES, end);
  if (lineEnd >= 0) {
    end = lineEnd;
  } else {
    const space = body.slice(end - WORD_BACKTRACK, end).search(/\s\S*$/);
    if (space >= 0) end = end - WORD_BACKTRACK + space;
  }
  const code = body.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return body.slice(0, end).trimEnd();
}
