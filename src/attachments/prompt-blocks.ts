import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type * as acp from '@agentclientprotocol/sdk';
import type { PromptCapabilities } from '../agents/types.ts';
import { realPaths, resolveInside } from '../domain/paths.ts';
import type { Attachment } from '../domain/types.ts';
import type { ImageStore } from './image-store.ts';
import { MAX_EMBEDDED_FILE_BYTES } from './limits.ts';

// A message's attachments as ACP prompt content, when its turn sends the prompt (CONTRACT section 11):
// an image as an `image` block with its stored bytes, byte for byte; a file as an embedded `resource`
// with its text when the agent takes embedded context (and the file is UTF-8 text of at most
// MAX_EMBEDDED_FILE_BYTES), else as a `resource_link`. The file is read now, and confined again: what
// was inside the roots when the message was sent may have been replaced by a link that leads out.

/** An attachment that cannot be sent; the turn ends `error` with this sentence. */
export class AttachmentUnavailable extends Error {}

export async function attachmentBlocks(
  attachments: readonly Attachment[],
  o: { images: ImageStore; capabilities: PromptCapabilities; roots: string[]; agentName: string },
): Promise<acp.ContentBlock[]> {
  const blocks: acp.ContentBlock[] = [];
  for (const a of attachments) {
    if (a.type === 'image') {
      if (!o.capabilities.image)
        throw new AttachmentUnavailable(
          `The agent "${o.agentName}" does not take images, so the message was not sent.`,
        );
      const bytes = await o.images.get(a.sha256);
      if (!bytes)
        throw new AttachmentUnavailable(
          `The image ${a.name} is not in this server's data directory (${a.sha256}), so the message was not sent.`,
        );
      blocks.push({ type: 'image', mimeType: a.mimeType, data: bytes.toString('base64') });
    } else {
      blocks.push(await fileBlock(a.path, a.name, o));
    }
  }
  return blocks;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function fileBlock(
  path: string,
  name: string,
  o: { capabilities: PromptCapabilities; roots: string[] },
): Promise<acp.ContentBlock> {
  const r = await resolveInside(path, await realPaths(o.roots)).catch(() => null);
  if (!r?.stat?.isFile())
    throw new AttachmentUnavailable(
      `The attached file ${path} is gone, is no longer a file or leads outside GMGUI_ROOTS, so the message was not sent.`,
    );
  const uri = pathToFileURL(r.real).href;
  const link: acp.ContentBlock = { type: 'resource_link', uri, name, size: r.stat.size };
  if (!o.capabilities.embeddedContext || r.stat.size > MAX_EMBEDDED_FILE_BYTES) return link;
  let text: string;
  try {
    const fh = await open(r.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_EMBEDDED_FILE_BYTES) return link;
      text = utf8.decode(await fh.readFile());
    } finally {
      await fh.close();
    }
  } catch {
    // Not UTF-8 text (or unreadable now): the agent gets the link and reads it itself if it can.
    return link;
  }
  return { type: 'resource', resource: { uri, text } };
}
