// Words for shared files: their size in decimal units ("4.2 MB", as the backend words its
// limits), and what kind of file they are from the media type or the name ("PNG image").

const UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/** A size in words: "1 byte", "999 bytes", "1.5 kB", "4.2 MB" (powers of 1000, one decimal). */
export function fileSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1000) return `${Math.round(bytes)} ${Math.round(bytes) === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  for (const [i, unit] of UNITS.entries()) {
    value /= 1000;
    const rounded = Math.round(value * 10) / 10;
    if (rounded < 1000 || i === UNITS.length - 1) return `${rounded.toFixed(1)} ${unit}`;
  }
  return '';
}

/** What a file holds, for its icon and its label. */
export type FileCategory = 'image' | 'video' | 'audio' | 'text' | 'document' | 'archive' | 'file';

const BY_EXTENSION: Record<string, FileCategory> = {
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  avif: 'image',
  heic: 'image',
  svg: 'image',
  bmp: 'image',
  mp4: 'video',
  webm: 'video',
  mkv: 'video',
  mov: 'video',
  avi: 'video',
  mp3: 'audio',
  ogg: 'audio',
  oga: 'audio',
  opus: 'audio',
  m4a: 'audio',
  flac: 'audio',
  wav: 'audio',
  aac: 'audio',
  txt: 'text',
  md: 'text',
  csv: 'text',
  log: 'text',
  pdf: 'document',
  odt: 'document',
  ods: 'document',
  odp: 'document',
  doc: 'document',
  docx: 'document',
  xls: 'document',
  xlsx: 'document',
  ppt: 'document',
  pptx: 'document',
  rtf: 'document',
  epub: 'document',
  zip: 'archive',
  gz: 'archive',
  tgz: 'archive',
  xz: 'archive',
  bz2: 'archive',
  zst: 'archive',
  tar: 'archive',
  '7z': 'archive',
  rar: 'archive',
};

const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-xz',
  'application/x-bzip2',
  'application/zstd',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/x-rar-compressed',
]);

const DOCUMENT_TYPES = new Set(['application/pdf', 'application/rtf', 'application/epub+zip']);

/** The extension a file name ends with, lowercased ("" for none). */
export function fileExtension(name: string): string {
  return /\.([a-z0-9]{1,5})$/i.exec(name)?.[1]?.toLowerCase() ?? '';
}

/** The media type without its parameters, lowercased ("" for none). */
function essence(mediaType: string | null): string {
  return (mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** What kind of file it is: from its media type when telling, else from its name. */
export function fileCategory(mediaType: string | null, name: string): FileCategory {
  const type = essence(mediaType);
  const top = type.split('/')[0];
  if (top === 'image' || top === 'video' || top === 'audio' || top === 'text') return top;
  if (ARCHIVE_TYPES.has(type)) return 'archive';
  if (
    DOCUMENT_TYPES.has(type) ||
    type.startsWith('application/vnd.oasis.opendocument.') ||
    type.startsWith('application/vnd.openxmlformats-officedocument.') ||
    type === 'application/msword'
  ) {
    return 'document';
  }
  return BY_EXTENSION[fileExtension(name)] ?? 'file';
}

const CATEGORY_WORDS: Record<FileCategory, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  text: 'text file',
  document: 'document',
  archive: 'archive',
  file: 'file',
};

/**
 * A short label: the extension (or the media subtype) and the category, "PNG image", "PDF
 * document", "ZIP archive"; "File" when nothing tells.
 */
export function fileKindLabel(mediaType: string | null, name: string): string {
  const category = fileCategory(mediaType, name);
  const word = CATEGORY_WORDS[category];
  const subtype = /^[a-z0-9]{1,5}$/.exec(essence(mediaType).split('/')[1] ?? '')?.[0] ?? '';
  const tag = fileExtension(name) || subtype;
  if (!tag) return word.charAt(0).toUpperCase() + word.slice(1);
  return `${tag.toUpperCase()} ${word}`;
}
