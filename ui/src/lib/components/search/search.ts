// Message search (SearchDialog): its limits, and the snippet of a hit (`search_messages`), plain
// text in which the backend wrapped each matched term in U+0002 (start) and U+0003 (end). It is
// a peer's text: split into parts that the panel renders as text, the matched ones in <mark>,
// never as HTML.

/** How long typing must pause before the query is searched, ms. */
export const SEARCH_DEBOUNCE_MS = 150;

/** Hits asked for at most (newest first). */
export const SEARCH_LIMIT = 100;

/** Starts a matched term. */
export const MARK_START = '\u0002';
/** Ends a matched term. */
export const MARK_END = '\u0003';

export interface SnippetPart {
  text: string;
  /** A matched term. */
  marked: boolean;
}

/**
 * The snippet as text parts, in order, without the markers; joined, their texts give the text
 * back. A stray end marker is dropped; an unclosed start marks the rest; neighbouring parts
 * with the same marking are one part.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let marked = false;
  let text = '';
  const flush = (): void => {
    if (!text) return;
    const last = parts.at(-1);
    if (last && last.marked === marked) last.text += text;
    else parts.push({ text, marked });
    text = '';
  };
  for (const char of snippet) {
    if (char === MARK_START || char === MARK_END) {
      flush();
      marked = char === MARK_START;
    } else {
      text += char;
    }
  }
  flush();
  return parts;
}
