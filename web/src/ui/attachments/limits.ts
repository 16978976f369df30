// What a message may carry (docs/CONTRACT.md section 11, "Attachments"), checked here before anything
// is queued so the user hears at once what the server would refuse. The numbers mirror
// src/attachments/limits.ts (test/web/attachments.test.ts compares them); the server checks again.
// Pure: no DOM, unit-tested.

import type { AttachmentInput } from '../../net/api';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_MESSAGE_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** One attachment in the composer, before it is sent: the wire shape plus what the chip shows. */
export interface DraftAttachment {
  /** Identity in the composer (a removal names it). */
  id: string;
  name: string;
  /** Bytes (decoded, for images); null when unknown. */
  size: number | null;
  input: AttachmentInput;
}

/** The image type the bytes are, by their magic bytes (as the server decides); null for anything else. */
export function sniffImage(b: Uint8Array): ImageType | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (at(4, 0x37, 0x61) || at(4, 0x39, 0x61))) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}

/** Decoded length of padded base64. */
export function base64Bytes(data: string): number {
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - pad;
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 102.4) / 10} KB`;
  return `${Math.round(n / 104857.6) / 10} MB`;
}

const EXT: Record<ImageType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * What an image file would be sent as, from its first bytes and its size, or the sentence that says
 * why it cannot be attached. The type sent is the one the bytes are (a pasted screenshot may come
 * without a name or a right type); the bytes are read only when this says yes.
 */
export function checkImage(
  name: string,
  head: Uint8Array,
  size: number,
): { mimeType: ImageType; name: string } | { error: string } {
  const shown = name || 'The pasted item';
  if (size === 0) return { error: `${shown} is empty.` };
  if (size > MAX_IMAGE_BYTES) return { error: tooLarge(shown) };
  const mimeType = sniffImage(head);
  if (!mimeType) return { error: notAnImage(shown) };
  return { mimeType, name: name || `pasted-image.${EXT[mimeType]}` };
}

/** The draft of a checked image whose bytes are `data` (base64). */
export function imageDraft(
  id: string,
  checked: { mimeType: ImageType; name: string },
  size: number,
  data: string,
): DraftAttachment {
  return {
    id,
    name: checked.name,
    size,
    input: { type: 'image', mimeType: checked.mimeType, data, name: checked.name },
  };
}

export function notAnImage(name: string): string {
  return `${name} is not a PNG, JPEG, GIF or WebP image. From this device gmgui sends images; a file of the conversation's folder is attached by typing @ and its name.`;
}

/** Whether a file of `size` bytes may be read at all (checked before reading it). */
export function tooLargeToRead(name: string, size: number): string | null {
  return size > MAX_IMAGE_BYTES ? tooLarge(name) : null;
}

function tooLarge(name: string): string {
  return `${name} is too large: an image may have at most ${formatSize(MAX_IMAGE_BYTES)}.`;
}

/** Why `next` cannot join `current` (the count and the images' total), or null when it may. */
export function cannotAdd(current: readonly DraftAttachment[], next: DraftAttachment): string | null {
  if (current.length >= MAX_ATTACHMENTS) return `A message may carry at most ${MAX_ATTACHMENTS} attachments.`;
  const input = next.input;
  if (input.type === 'file' && current.some((a) => a.input.type === 'file' && a.input.path === input.path))
    return `${next.name} is attached already.`;
  if (next.input.type !== 'image') return null;
  const images = current.reduce((n, a) => n + (a.input.type === 'image' ? (a.size ?? 0) : 0), 0);
  if (images + (next.size ?? 0) > MAX_MESSAGE_IMAGE_BYTES)
    return `The images of one message may have ${formatSize(MAX_MESSAGE_IMAGE_BYTES)} in all; ${next.name} would make ${formatSize(images + (next.size ?? 0))}.`;
  return null;
}

/** The data: URL of a draft or queued image (the page's CSP allows data: images, not blob:). */
export function dataUrl(a: AttachmentInput): string | null {
  return a.type === 'image' ? `data:${a.mimeType};base64,${a.data}` : null;
}

/** The last segment of a path, for a chip. */
export function baseName(path: string): string {
  const p = path.replace(/[\\/]+$/, '');
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1) || p;
}
