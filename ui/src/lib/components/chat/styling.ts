// Message styling (XEP-0393) and /me (XEP-0245): a body as a tree of blocks and spans, which
// MessageBody renders as elements whose text is the body's characters (never HTML).
//
// Blocks (§6.1): every line is a plain block, except a preformatted block, from a line starting
// with "```" to a line that is exactly "```" (or the end of its parent), and a quotation, a run
// of lines starting with ">", whose lines (without the ">" and their first white space
// character) are parsed as blocks again. Spans (§6.2) live inside one plain line:
// *strong*, _emphasis_, ~strike~ and `preformatted`. An opening directive starts the line, or
// follows white space or another directive, and is not followed by white space (nor by the same
// directive: "**" is text); the closing one is the first same character after it that does not
// follow white space. Preformatted spans hold no spans. The directive characters stay visible
// (§7 recommends it); the block markers (">", "```") do not.
//
// Links (links.ts) are found in the text of every span; a styling character inside a link
// (say the "_" of https://example.org/a_b) is not a directive, unless it ends the link (the
// closing "*" of *https://example.org*, which linkify would otherwise count in the URL).

import { linkRanges, splitLinks, type BodySegment } from './links';

export type SpanStyle = 'strong' | 'emphasis' | 'strike' | 'code';

export type Inline = BodySegment | { kind: 'span'; style: SpanStyle; marker: string; children: Inline[] };

export type Block =
  | { kind: 'line'; content: Inline[] }
  | { kind: 'pre'; content: BodySegment[] }
  | { kind: 'quote'; children: Block[] };

const DIRECTIVES: Readonly<Record<string, SpanStyle>> = {
  '*': 'strong',
  _: 'emphasis',
  '~': 'strike',
  '`': 'code',
};

const FENCE = '```';

/** Unicode White_Space or category Z (the XEP's "whitespace character"). */
const WHITESPACE = /[\s\p{Z}]/u;

const LEADING_SPACE = /^[\s\p{Z}]/u;

function isSpace(char: string | undefined): boolean {
  return char !== undefined && WHITESPACE.test(char);
}

/** The blocks of a message body. */
export function parseStyling(body: string): Block[] {
  return parseBlocks(body.split('\n'));
}

function parseBlocks(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.startsWith('>')) {
      const quoted: string[] = [];
      for (; i < lines.length && (lines[i] ?? '').startsWith('>'); i++) {
        const rest = (lines[i] ?? '').slice(1);
        // The first white space character only (§6.1.3): the rest stays.
        quoted.push(rest.replace(LEADING_SPACE, ''));
      }
      blocks.push({ kind: 'quote', children: parseBlocks(quoted) });
      continue;
    }
    if (line.startsWith(FENCE)) {
      const text: string[] = [];
      for (i++; i < lines.length; i++) {
        if (lines[i] === FENCE) {
          i++;
          break;
        }
        text.push(lines[i] ?? '');
      }
      blocks.push({ kind: 'pre', content: splitLinks(text.join('\n')) });
      continue;
    }
    blocks.push({ kind: 'line', content: parseLine(line) });
    i++;
  }
  return blocks;
}

/** Positions of `line` inside a link, its last character excepted. */
function linkInteriors(line: string): Set<number> {
  const inside = new Set<number>();
  for (const [start, end] of linkRanges(line)) {
    for (let p = start; p < end - 1; p++) inside.add(p);
  }
  return inside;
}

/** The spans of one plain line. */
export function parseLine(line: string): Inline[] {
  return parseSpans(line, 0, line.length, linkInteriors(line));
}

function parseSpans(line: string, from: number, to: number, ignored: Set<number>): Inline[] {
  const out: Inline[] = [];
  let textStart = from;
  /** At the start of the line or span, or just after a span: an opening directive may follow. */
  let afterDirective = true;
  let i = from;
  while (i < to) {
    const char = line[i] ?? '';
    const style = DIRECTIVES[char];
    if (style !== undefined && !ignored.has(i) && opens(line, i, to, afterDirective || isSpace(line[i - 1]))) {
      const close = closing(line, char, i, to, ignored);
      if (close >= 0) {
        if (textStart < i) out.push(...splitLinks(line.slice(textStart, i)));
        const children =
          style === 'code'
            ? splitLinks(line.slice(i + 1, close))
            : parseSpans(line, i + 1, close, ignored);
        out.push({ kind: 'span', style, marker: char, children });
        i = close + 1;
        textStart = i;
        afterDirective = true;
        continue;
      }
    }
    afterDirective = false;
    i++;
  }
  if (textStart < to) out.push(...splitLinks(line.slice(textStart, to)));
  return out;
}

/** Whether the directive at `i` may open a span: some text follows, not white space. */
function opens(line: string, i: number, to: number, placed: boolean): boolean {
  const next = line[i + 1];
  return placed && i + 1 < to && !isSpace(next) && next !== line[i];
}

/** Index of the directive closing the span opened at `start`, or -1. */
function closing(line: string, char: string, start: number, to: number, ignored: Set<number>): number {
  for (let j = start + 2; j < to; j++) {
    if (line[j] === char && !ignored.has(j) && !isSpace(line[j - 1])) return j;
  }
  return -1;
}

/** XEP-0245: the text after "/me " when the body is an action ("/me waves"), else null. */
export function meAction(body: string): string | null {
  return body.startsWith('/me ') ? body.slice(4) : null;
}
