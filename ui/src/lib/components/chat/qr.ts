// QR codes (`qrcode`, loaded the first time one is drawn) as SVG `data:` URLs for an <img>: the
// CSP allows `img-src data:`, and nothing is put in the page as markup.

/** Dark modules on white whatever the theme, with the quiet zone scanners need. */
const OPTIONS = {
  type: 'svg',
  errorCorrectionLevel: 'M',
  margin: 2,
  color: { dark: '#000000ff', light: '#ffffffff' },
} as const;

/** A QR code of `text`, as an `image/svg+xml` data URL. */
export async function qrDataUrl(text: string): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  const svg = await QRCode.toString(text, OPTIONS);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
