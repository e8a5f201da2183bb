// Files pasted into the composer (an image copied from a browser or a screenshot tool): read
// from the clipboard and handed to `send_file_data` as base64, under their name or one made
// from their type ("pasted-image.png").

/** Largest pasted file the shell takes (the bytes cross IPC as base64): 64 MiB. */
export const MAX_PASTE_BYTES = 64 * 1024 * 1024;

/** Bytes per `String.fromCharCode` call: spreading a whole image would overflow the stack. */
const CHUNK = 0x8000;

/** Standard base64 (RFC 4648 §4, padded) of `bytes`, chunk by chunk. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return btoa(parts.join(''));
}

/** The bytes of a blob: `arrayBuffer()` where there is one, else a FileReader. */
export function readBytes(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === 'function') {
    return blob.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const result = reader.result;
      if (result instanceof ArrayBuffer) resolve(new Uint8Array(result));
      else reject(new Error('The pasted file could not be read.'));
    };
    reader.onerror = () => reject(reader.error ?? new Error('The pasted file could not be read.'));
    reader.readAsArrayBuffer(blob);
  });
}

/** The files on the clipboard of a paste (none for text). */
export function clipboardFiles(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = Array.from(data.files ?? []);
  if (files.length > 0) return files;
  // Some webviews list a pasted image only among the items.
  return Array.from(data.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.getAsFile())
    .filter((file): file is File => file !== null);
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'image/svg+xml': 'svg',
  'image/tiff': 'tiff',
  'text/plain': 'txt',
  'application/pdf': 'pdf',
};

/**
 * The name to send a pasted file under: its own, else "pasted-image.png", "pasted-file.pdf"
 * and the like from its type ("pasted-file" when that says nothing).
 */
export function pastedFileName(file: Pick<File, 'name' | 'type'>): string {
  const own = file.name.trim();
  if (own) return own;
  const type = file.type.split(';')[0]?.trim().toLowerCase() ?? '';
  const stem = type.startsWith('image/') ? 'pasted-image' : 'pasted-file';
  const subtype = type.split('/')[1] ?? '';
  const extension = EXTENSIONS[type] ?? (/^[a-z0-9]{1,5}$/.test(subtype) ? subtype : '');
  return extension ? `${stem}.${extension}` : stem;
}
