import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import type { PromptCapabilities } from '../agents/types.ts';
import { errors } from '../domain/errors.ts';
import { pathError, realPaths, resolveInside } from '../domain/paths.ts';
import type { Attachment } from '../domain/types.ts';
import {
  IMAGE_TYPES,
  MAX_ATTACHMENTS,
  MAX_IMAGE_BYTES,
  MAX_MESSAGE_IMAGE_BYTES,
  sniffImage,
} from './limits.ts';

// The `attachments` of POST …/messages (CONTRACT section 11), checked before anything is stored: an
// image must be one of IMAGE_TYPES, its bytes must be what its `mimeType` says, within the limits,
// and the agent must take images (ACP promptCapabilities.image), else it is refused and never sent;
// a file must be a regular file inside GMGUI_ROOTS (a path relative to the conversation folder is
// taken from there).

export const AttachmentInputSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('image'),
      mimeType: z.string().min(1).max(100),
      data: z.string().min(1),
      name: z.string().max(255).optional(),
    })
    .strict(),
  z.object({ type: z.literal('file'), path: z.string().min(1).max(4096) }).strict(),
]);
export const AttachmentsInputSchema = z.array(AttachmentInputSchema).max(MAX_ATTACHMENTS);
export type AttachmentInput = z.infer<typeof AttachmentInputSchema>;

export interface PreparedAttachments {
  /** What the stored message lists. */
  attachments: Attachment[];
  /** Image bytes to store (by hash) before the message commits. */
  images: Array<{ sha256: string; bytes: Buffer }>;
  /** What the idempotency fingerprint covers: images by hash, files by the path given. */
  fingerprint: unknown[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** A display name without folders or control characters. */
function cleanName(name: string | undefined, fallback: string): string {
  const n = [...(name ?? '')]
    .filter((ch) => ch > '\x1f' && ch !== '\x7f' && ch !== '/' && ch !== '\\')
    .join('')
    .trim();
  return n || fallback;
}

export const attachmentUrl = (sha256: string) => `/api/attachments/${sha256}`;

export async function prepareAttachments(
  inputs: readonly AttachmentInput[],
  o: { agentName: string; cwd: string; roots: string[]; capabilities: () => Promise<PromptCapabilities> },
): Promise<PreparedAttachments> {
  const out: PreparedAttachments = { attachments: [], images: [], fingerprint: [] };
  if (inputs.some((a) => a.type === 'image') && !(await o.capabilities()).image) {
    throw errors.unsupportedAttachment(`The agent "${o.agentName}" does not take images; nothing was sent.`);
  }
  let imageBytes = 0;
  for (const a of inputs) {
    if (a.type === 'image') {
      const bytes = decodeImage(a.mimeType, a.data);
      imageBytes += bytes.length;
      if (imageBytes > MAX_MESSAGE_IMAGE_BYTES)
        throw errors.attachmentTooLarge(
          `The images of one message may take ${MAX_MESSAGE_IMAGE_BYTES} bytes in all.`,
        );
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const name = cleanName(a.name, `image-${sha256.slice(0, 8)}.${EXT[a.mimeType]}`);
      out.images.push({ sha256, bytes });
      out.attachments.push({
        type: 'image',
        name,
        mimeType: a.mimeType,
        size: bytes.length,
        sha256,
        url: attachmentUrl(sha256),
      });
      out.fingerprint.push({ type: 'image', mimeType: a.mimeType, name, sha256 });
    } else {
      const real = await fileInside(a.path, o.cwd, o.roots);
      out.attachments.push({ type: 'file', name: basename(real), path: real });
      out.fingerprint.push({ type: 'file', path: a.path });
    }
  }
  return out;
}

function decodeImage(mimeType: string, data: string): Buffer {
  if (!(IMAGE_TYPES as readonly string[]).includes(mimeType)) {
    throw errors.unsupportedAttachment(
      `${mimeType} is not an image type gmgui sends; use one of ${IMAGE_TYPES.join(', ')}.`,
    );
  }
  if (data.length % 4 !== 0 || !BASE64.test(data))
    throw errors.invalidRequest('An image\'s "data" must be base64 (RFC 4648, with padding).');
  if ((data.length / 4) * 3 > MAX_IMAGE_BYTES + 2)
    throw errors.attachmentTooLarge(`An image may have at most ${MAX_IMAGE_BYTES} bytes.`);
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) throw errors.invalidRequest('An image may not be empty.');
  if (bytes.length > MAX_IMAGE_BYTES)
    throw errors.attachmentTooLarge(`An image may have at most ${MAX_IMAGE_BYTES} bytes.`);
  if (sniffImage(bytes) !== mimeType)
    throw errors.invalidRequest(
      `The image's bytes are not ${mimeType} (its "mimeType" must say what it is).`,
    );
  return bytes;
}

/** The real path of a regular file inside the roots; `p` relative to the conversation folder. */
async function fileInside(p: string, cwd: string, roots: string[]): Promise<string> {
  if (p.includes('\0')) throw errors.invalidRequest('A path may not contain a NUL byte.');
  let r: Awaited<ReturnType<typeof resolveInside>>;
  try {
    r = await resolveInside(resolve(cwd, p), await realPaths(roots));
  } catch (err) {
    throw pathError(err, 'That file');
  }
  if (!r) throw errors.outsideRoots();
  if (!r.stat) throw errors.notFound(`The file ${p}`);
  if (!r.stat.isFile()) throw errors.notAFile(p);
  return r.real;
}
