// What kind of file a workspace view is looking at (docs/CONTRACT.md section 9, "Files"): an image the
// browser may show (by its name and its first bytes, never by the name alone), text (valid UTF-8
// without NUL bytes), or anything else as binary.

/** How much of a file decides its kind. */
export const SNIFF_BYTES = 8192;

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

const startsWith = (b: Buffer, bytes: number[], at = 0) => bytes.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The magic bytes of each raster type: a renamed file is not served as an image. */
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47]),
  'image/jpeg': (b) => startsWith(b, [0xff, 0xd8, 0xff]),
  'image/gif': (b) => startsWith(b, ascii('GIF8')),
  'image/webp': (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8),
  'image/avif': (b) => startsWith(b, ascii('ftyp'), 4),
  'image/bmp': (b) => startsWith(b, ascii('BM')),
  'image/x-icon': (b) => startsWith(b, [0, 0, 1, 0]),
  'image/svg+xml': (b) => /<svg[\s>]/i.test(b.toString('utf8')),
};

/** Length of `b` without a UTF-8 character cut at its end. */
export function utf8Boundary(b: Buffer): number {
  let i = b.length - 1;
  // Back up over at most 3 continuation bytes to the lead byte of the last character.
  while (i >= 0 && i > b.length - 4 && (b[i] & 0xc0) === 0x80) i--;
  if (i < 0) return b.length;
  const lead = b[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return b.length - i >= need ? b.length : i;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** True when `head` (the start of a file) reads as text: no NUL, valid UTF-8 up to a cut character. */
export function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    decoder.decode(head.subarray(0, utf8Boundary(head)));
    return true;
  } catch {
    return false;
  }
}

export type FileKind = { kind: 'image'; mime: string } | { kind: 'text' } | { kind: 'binary' };

export function fileKind(name: string, head: Buffer): FileKind {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const mime = IMAGE_TYPES[ext];
  if (mime && MAGIC[mime](head)) return { kind: 'image', mime };
  return looksLikeText(head) ? { kind: 'text' } : { kind: 'binary' };
}
