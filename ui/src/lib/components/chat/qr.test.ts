// QR codes are drawn in a window whose Object.prototype is frozen (Tauri's freezePrototype,
// tauri.conf.json): the library must not patch built-in prototypes or shadow their properties
// by assignment. This file freezes it as the window does (vitest runs each file apart).
import { beforeAll, describe, expect, test } from 'vitest';
import { encode } from 'uqr';
import { qrDataUrl } from './qr';

beforeAll(() => {
  Object.freeze(Object.prototype);
  Object.freeze(Array.prototype);
  Object.freeze(Function.prototype);
});

describe('QR codes', () => {
  test('are drawn with frozen prototypes, as an SVG of exactly the text given', async () => {
    const uri = 'xmpp:alice@example.org?omemo-sid-4242=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const url = await qrDataUrl(uri);
    expect(url).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    const svg = decodeURIComponent(url.split(',')[1] ?? '');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // The modules drawn are those of the code for this text (plus a quiet zone of 2).
    const { size } = encode(uri, { ecc: 'M', border: 2 });
    expect(svg).toContain(`viewBox="0 0 ${size * 10} ${size * 10}"`);
    expect(await qrDataUrl(`${uri}0`)).not.toBe(url);
  });
});
