// File sizes and kinds in words.
import { describe, expect, test } from 'vitest';
import { fileCategory, fileKindLabel, fileSize } from './files';

describe('fileSize', () => {
  test.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [999, '999 bytes'],
    [1000, '1.0 kB'],
    [1536, '1.5 kB'],
    [999_949, '999.9 kB'],
    [999_950, '1.0 MB'],
    [4_200_000, '4.2 MB'],
    [134_217_728, '134.2 MB'],
    [67_108_864, '67.1 MB'],
    [2_500_000_000, '2.5 GB'],
    [5e15, '5000.0 TB'],
  ])('%d bytes are %j (decimal units)', (bytes, words) => {
    expect(fileSize(bytes)).toBe(words);
  });
});

describe('fileKindLabel', () => {
  test.each([
    ['image/png', 'cat.png', 'PNG image'],
    ['image/jpeg', 'photo', 'JPEG image'],
    [null, 'holiday.JPG', 'JPG image'],
    ['application/pdf', 'report.pdf', 'PDF document'],
    ['application/zip', 'code.zip', 'ZIP archive'],
    ['audio/ogg; codecs=opus', 'voice.opus', 'OPUS audio'],
    [null, 'film.mkv', 'MKV video'],
    ['text/plain', 'notes.txt', 'TXT text file'],
    ['application/octet-stream', 'data.bin', 'BIN file'],
    [null, 'README', 'File'],
  ])('%j %j is %j', (type, name, label) => {
    expect(fileKindLabel(type, name)).toBe(label);
  });

  test('the media type wins over the name', () => {
    expect(fileCategory('image/webp', 'x.pdf')).toBe('image');
    expect(fileCategory(null, 'x.pdf')).toBe('document');
    expect(fileCategory('application/vnd.oasis.opendocument.text', 'letter.odt')).toBe('document');
  });
});
