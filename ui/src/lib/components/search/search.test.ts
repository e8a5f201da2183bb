import { describe, expect, test } from 'vitest';
import { snippetParts } from './search';

describe('snippetParts', () => {
  test('splits marked terms from the text around them', () => {
    expect(snippetParts('…lunch at \u0002noon\u0003 with \u0002Bob\u0003')).toEqual([
      { text: '…lunch at ', marked: false },
      { text: 'noon', marked: true },
      { text: ' with ', marked: false },
      { text: 'Bob', marked: true },
    ]);
  });

  test('keeps markup as text', () => {
    expect(snippetParts('<b>\u0002x\u0003</b>')).toEqual([
      { text: '<b>', marked: false },
      { text: 'x', marked: true },
      { text: '</b>', marked: false },
    ]);
  });

  test('copes with stray, doubled and unclosed markers', () => {
    expect(snippetParts('a\u0003b')).toEqual([{ text: 'ab', marked: false }]);
    expect(snippetParts('\u0002a\u0003\u0002b\u0003')).toEqual([{ text: 'ab', marked: true }]);
    expect(snippetParts('a \u0002rest')).toEqual([
      { text: 'a ', marked: false },
      { text: 'rest', marked: true },
    ]);
    expect(snippetParts('')).toEqual([]);
  });
});
