// Splits a message body into text and links. The body is a peer's text: links become `<a>`
// elements whose text is the characters as typed, everything else stays text (never HTML).

import { LinkifyIt } from 'linkify-it';

/** Schemes that become links; the backend's `open_link` accepts exactly these. */
export const LINK_PROTOCOLS: readonly string[] = ['http:', 'https:', 'mailto:', 'xmpp:'];

export type BodySegment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; url: string };

/** RFC 5122: `xmpp:[node@]domain[/resource][?query]`, e.g. `xmpp:room@muc.example.org?join`. */
let xmppUri: RegExp | undefined;

/**
 * Explicit schemes only: no "fuzzy" links (`index.md` is not a web site) nor e-mails
 * (`bob@example.org` in a chat is a Jabber ID, not a mail address).
 */
const linkify = new LinkifyIt({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false, urlAuth: true })
  .add('ftp:', null)
  .add('//', null)
  .add('xmpp:', {
    validate: (text, pos, self) => {
      xmppUri ??= new RegExp(
        `(?:${self.re.get_mail_name().source}@)?${self.re.get_mail_host().source}` +
          `(?:/[\\w%+~.-]*[\\w%+~-])?(?:\\?[\\w;=&%+~.-]*[\\w;=&%+~-])?`,
        'iy',
      );
      xmppUri.lastIndex = pos;
      const match = xmppUri.exec(text);
      return match ? match[0].length : 0;
    },
  });

/** The URL when it is one Linnet opens (see `LINK_PROTOCOLS`), otherwise null. */
export function allowedUrl(url: string): string | null {
  try {
    return LINK_PROTOCOLS.includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

/** Where the links of `body` are: [start, end) index pairs, in order. */
export function linkRanges(body: string): Array<[number, number]> {
  if (!body.includes(':')) return [];
  return (linkify.match(body) ?? [])
    .filter((match) => allowedUrl(match.url) !== null)
    .map((match) => [match.index, match.lastIndex]);
}

/** The body as text and link segments, in order; joined, their texts give the body back. */
export function splitLinks(body: string): BodySegment[] {
  const segments: BodySegment[] = [];
  let text = '';
  let last = 0;
  for (const match of linkify.match(body) ?? []) {
    const url = allowedUrl(match.url);
    if (url === null) continue;
    text += body.slice(last, match.index);
    if (text) segments.push({ kind: 'text', text });
    text = '';
    segments.push({ kind: 'link', text: body.slice(match.index, match.lastIndex), url });
    last = match.lastIndex;
  }
  text += body.slice(last);
  if (text) segments.push({ kind: 'text', text });
  return segments;
}
