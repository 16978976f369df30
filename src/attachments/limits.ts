// Limits of what a message may carry (CONTRACT section 11). The request body limit (GMGUI_BODY_LIMIT)
// comes first: base64 makes an image a third larger in the body.

/** One image, decoded. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** All images of one message, decoded. */
export const MAX_MESSAGE_IMAGE_BYTES = 20 * 1024 * 1024;
/** Attachments of one message. */
export const MAX_ATTACHMENTS = 10;
/** A file larger than this is sent as a link, not embedded in the prompt. */
export const MAX_EMBEDDED_FILE_BYTES = 1024 * 1024;

/** The image types gmgui sends agents (what models take), by their magic bytes. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** The image type the bytes are, by their magic bytes; null for anything else. */
export function sniffImage(b: Uint8Array): (typeof IMAGE_TYPES)[number] | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (at(4, 0x37, 0x61) || at(4, 0x39, 0x61))) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}
