// QR codes (`uqr`, loaded the first time one is drawn) as SVG `data:` URLs for an <img>: the
// CSP allows `img-src data:`, and nothing is put in the page as markup. (`qrcode` could not be
// used: it assigns `toString` on plain objects, which throws in the window, where Tauri's
// `freezePrototype` freezes Object.prototype.)

/** Dark modules on white whatever the theme, with the quiet zone scanners need. */
const OPTIONS = {
  ecc: 'M',
  border: 2,
  whiteColor: '#ffffff',
  blackColor: '#000000',
} as const;

/** A QR code of `text`, as an `image/svg+xml` data URL. */
export async function qrDataUrl(text: string): Promise<string> {
  const { renderSVG } = await import('uqr');
  const svg = renderSVG(text, OPTIONS);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
