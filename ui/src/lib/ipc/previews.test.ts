import { describe, expect, it } from 'vitest';
import { previewUrl } from './previews';

describe('previewUrl', () => {
  it('uses the custom scheme on Linux and macOS and its localhost form on Windows', () => {
    expect(previewUrl(42, false, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15')).toBe(
      'linnet-preview://localhost/42',
    );
    expect(previewUrl(7, true, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/120')).toBe(
      'http://linnet-preview.localhost/7?show',
    );
  });
});
