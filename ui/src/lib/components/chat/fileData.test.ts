// Pasted files: base64 of their bytes, their names, and what counts as a pasted file.
import { describe, expect, test } from 'vitest';
import { bytesToBase64, clipboardFiles, pastedFileName, readBytes } from './fileData';

describe('bytesToBase64', () => {
  test.each([
    [[], ''],
    [[0x66], 'Zg=='],
    [[0x66, 0x6f], 'Zm8='],
    [[0x66, 0x6f, 0x6f], 'Zm9v'],
    [[0x00, 0xff, 0xfe, 0x80], 'AP/+gA=='],
  ])('%j is %j (RFC 4648 §10)', (bytes, expected) => {
    expect(bytesToBase64(Uint8Array.from(bytes))).toBe(expected);
  });

  test('a large image, past the stack of one call, in one piece', () => {
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const encoded = bytesToBase64(bytes);
    expect(encoded.length).toBe(4 * Math.ceil(bytes.length / 3));
    const decoded = atob(encoded);
    expect(decoded.length).toBe(bytes.length);
    for (const i of [0, 1, 0x7fff, 0x8000, 0x8001, bytes.length - 1]) {
      expect(decoded.charCodeAt(i), `byte ${i}`).toBe(bytes[i]);
    }
  });
});

describe('readBytes', () => {
  test('reads a blob whole', async () => {
    const blob = new Blob([Uint8Array.of(1, 2, 3), Uint8Array.of(255)]);
    expect([...(await readBytes(blob))]).toEqual([1, 2, 3, 255]);
  });
});

describe('pastedFileName', () => {
  test.each([
    [{ name: 'screenshot.png', type: 'image/png' }, 'screenshot.png'],
    [{ name: '', type: 'image/png' }, 'pasted-image.png'],
    [{ name: ' ', type: 'image/jpeg' }, 'pasted-image.jpg'],
    [{ name: '', type: 'image/svg+xml' }, 'pasted-image.svg'],
    [{ name: '', type: 'image/x-weird-thing' }, 'pasted-image'],
    [{ name: '', type: 'application/pdf' }, 'pasted-file.pdf'],
    [{ name: '', type: '' }, 'pasted-file'],
  ])('%j is sent as %j', (file, expected) => {
    expect(pastedFileName(file)).toBe(expected);
  });
});

describe('clipboardFiles', () => {
  const image = new File([Uint8Array.of(1)], 'a.png', { type: 'image/png' });

  test('the files of the clipboard; none for text', () => {
    expect(clipboardFiles(null)).toEqual([]);
    expect(clipboardFiles({ files: [image], items: [] } as unknown as DataTransfer)).toEqual([image]);
    expect(clipboardFiles({ files: [], items: [{ kind: 'string' }] } as unknown as DataTransfer)).toEqual([]);
  });

  test('a file only among the items counts too', () => {
    const items = [{ kind: 'string' }, { kind: 'file', getAsFile: () => image }];
    expect(clipboardFiles({ files: [], items } as unknown as DataTransfer)).toEqual([image]);
  });
});
