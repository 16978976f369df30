import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { readJsonFile, setAside, writeJsonFileAtomic } from './json-file.ts';
import { webPush } from './web-push-lib.ts';

// The server's VAPID key pair (RFC 8292): generated once, kept in `<data dir>/vapid.json` (mode 0600).
// Browsers subscribe with the public key; a new pair would silently orphan every subscription, so the
// file is only replaced when it cannot be read (and then set aside, not deleted); the web app notices
// the new key and subscribes again (web/src/push/push-client.ts).

export interface VapidKeys {
  /** Uncompressed P-256 point, base64url (65 bytes): the browser's `applicationServerKey`. */
  publicKey: string;
  privateKey: string;
}

const VAPID_FILE = 'vapid.json';

const b64url = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `must be ${bytes} bytes`);

const VapidFileSchema = z.object({ publicKey: b64url(65), privateKey: b64url(32), created_at: z.number() });

export async function loadOrCreateVapidKeys(dataDir: string, log: FastifyBaseLogger): Promise<VapidKeys> {
  const file = join(dataDir, VAPID_FILE);
  let raw: unknown;
  try {
    raw = await readJsonFile(file);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    raw = null;
  }
  if (raw !== undefined) {
    const parsed = VapidFileSchema.safeParse(raw);
    if (parsed.success) return { publicKey: parsed.data.publicKey, privateKey: parsed.data.privateKey };
    const aside = await setAside(file);
    log.warn(
      { file: aside },
      'push: the VAPID key file was unreadable; set aside, new keys made (devices subscribe again)',
    );
  }
  const keys = (await webPush()).generateVAPIDKeys();
  await writeJsonFileAtomic(file, { ...keys, created_at: Date.now() });
  return keys;
}
