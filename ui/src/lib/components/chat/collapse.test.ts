import { describe, expect, test } from 'vitest';
import {
  COLLAPSE_CHARS,
  COLLAPSE_LINES,
  PREVIEW_CHARS,
  PREVIEW_LINES,
  collapsedPreview,
  isLongBody,
} from './collapse';

describe('long bodies', () => {
  test('up to COLLAPSE_CHARS and COLLAPSE_LINES are shown whole', () => {
    expect(isLongBody('x'.repeat(COLLAPSE_CHARS))).toBe(false);
    expect(isLongBody(Array(COLLAPSE_LINES).fill('line').join('\n'))).toBe(false);
    expect(collapsedPreview('hello')).toBeNull();
  });

  test('longer ones, or with more lines, are collapsed', () => {
    expect(isLongBody('x'.repeat(COLLAPSE_CHARS + 1))).toBe(true);
    expect(isLongBody(Array(COLLAPSE_LINES + 1).fill('line').join('\n'))).toBe(true);
  });

  test('the preview is the first lines of many short ones', () => {
    const body = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const preview = collapsedPreview(body);
    expect(preview?.split('\n')).toHaveLength(PREVIEW_LINES);
    expect(body.startsWith(preview ?? '-')).toBe(true);
  });

  test('the preview of one long line ends on a whole word, within PREVIEW_CHARS', () => {
    const body = 'word '.repeat(2000);
    const preview = collapsedPreview(body) ?? '';
    expect(preview.length).toBeLessThanOrEqual(PREVIEW_CHARS);
    expect(preview.length).toBeGreaterThan(PREVIEW_CHARS - 100);
    expect(preview.endsWith('word')).toBe(true);
  });

  test('a cut never splits a surrogate pair', () => {
    const body = '😀'.repeat(4000);
    const preview = collapsedPreview(body) ?? '';
    expect(preview.length % 2).toBe(0);
    expect(preview).toBe('😀'.repeat(preview.length / 2));
  });

  test('a 64 KiB body is previewed quickly', () => {
    const body = 'a'.repeat(64 * 1024);
    const started = performance.now();
    expect(collapsedPreview(body)?.length).toBe(PREVIEW_CHARS);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
