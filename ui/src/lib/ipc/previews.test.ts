import { describe, expect, it } from 'vitest';
import { avatarUrl, mediaUrl, pickedPreviewUrl, previewUrl, thumbnailUrl } from './previews';

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

describe('the other addresses', () => {
  const linux = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15';
  it('name a thumbnail, a picked file and a media file', () => {
    expect(thumbnailUrl(3, linux)).toBe('linnet-preview://localhost/3?thumb');
    expect(pickedPreviewUrl('/home/a/My photo #1.png', linux)).toBe(
      'linnet-preview://localhost/picked?path=%2Fhome%2Fa%2FMy%20photo%20%231.png',
    );
    expect(mediaUrl(9, 'Windows NT 10.0')).toBe('http://linnet-media.localhost/9');
  });
  it('name an avatar by its hash', () => {
    const hash = '01b87fcd030b72895ff8e88db57ec525450f000d';
    expect(avatarUrl(hash, linux)).toBe(`linnet-avatar://localhost/${hash}`);
    expect(avatarUrl(hash, 'Windows NT 10.0')).toBe(`http://linnet-avatar.localhost/${hash}`);
  });
});
