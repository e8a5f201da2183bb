import { describe, expect, test } from 'vitest';
import { allowedUrl, splitLinks, type BodySegment } from './links';

function links(body: string): string[] {
  return splitLinks(body).flatMap((s) => (s.kind === 'link' ? [s.url] : []));
}

describe('splitLinks', () => {
  test('splits text and links in order, losing no character', () => {
    const body = 'see https://example.org/a?b=1#c, then mail mailto:bob@example.org.';
    const segments = splitLinks(body);
    expect(segments).toEqual<BodySegment[]>([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1#c', url: 'https://example.org/a?b=1#c' },
      { kind: 'text', text: ', then mail ' },
      { kind: 'link', text: 'mailto:bob@example.org', url: 'mailto:bob@example.org' },
      { kind: 'text', text: '.' },
    ]);
    expect(segments.map((s) => s.text).join('')).toBe(body);
  });

  test('a body without links is one text segment; an empty body none', () => {
    expect(splitLinks('just words')).toEqual([{ kind: 'text', text: 'just words' }]);
    expect(splitLinks('')).toEqual([]);
  });

  test('links xmpp: URIs with a query, without trailing punctuation', () => {
    expect(links('join xmpp:room@muc.example.org?join. Or xmpp:bob@example.org/phone')).toEqual([
      'xmpp:room@muc.example.org?join',
      'xmpp:bob@example.org/phone',
    ]);
  });

  test('http and https, whatever their case', () => {
    expect(links('http://a.example HTTPS://B.EXAMPLE/x')).toEqual([
      'http://a.example',
      'HTTPS://B.EXAMPLE/x',
    ]);
  });

  test.each([
    'javascript:alert(1)',
    'file:///etc/passwd',
    'ftp://files.example.org/x',
    '//example.org/protocol-relative',
    'data:text/html,<script>alert(1)</script>',
    'bob@example.org',
    'www.example.org',
    'notes.md',
  ])('leaves %j as text', (body) => {
    expect(splitLinks(body)).toEqual([{ kind: 'text', text: body }]);
  });

  test('HTML stays characters', () => {
    const body = '<img src=x onerror=alert(1)> https://example.org/<b>';
    const segments = splitLinks(body);
    expect(segments[0]).toEqual({ kind: 'text', text: '<img src=x onerror=alert(1)> ' });
    expect(segments.map((s) => s.text).join('')).toBe(body);
  });
});

describe('allowedUrl', () => {
  test.each(['https://example.org', 'http://example.org', 'mailto:a@example.org', 'xmpp:a@example.org'])(
    'accepts %s',
    (url) => {
      expect(allowedUrl(url)).toBe(url);
    },
  );

  test.each(['javascript:alert(1)', 'file:///etc/passwd', 'not a url', 'tel:+123'])('refuses %s', (url) => {
    expect(allowedUrl(url)).toBeNull();
  });
});
