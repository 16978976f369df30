import { execFileSync } from 'node:child_process';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { listenLoopback } from '../helpers/loopback.ts';

// A push service of the test's own, on loopback over HTTPS (a certificate made with openssl, which
// the gmgui server trusts through NODE_EXTRA_CA_CERTS), and a browser's side of Web Push written
// from the RFCs with node:crypto only: a subscription's keys (RFC 8291 section 2), decryption of an
// aes128gcm body (RFC 8188 + RFC 8291 section 3.4), and the check of the VAPID header (RFC 8292).

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** What the service answered. */
  status: number;
}

export interface FakePushService {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  received: Received[];
  /** Status to answer for a path (default 201). */
  answer: Map<string, number>;
  close(): Promise<void>;
}

export async function startPushService(dir: string): Promise<FakePushService> {
  const key = join(dir, 'push-key.pem');
  const cert = join(dir, 'push-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  const received: Received[] = [];
  const answer = new Map<string, number>();
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const status = answer.get(path) ?? 201;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks), status });
      res.writeHead(status).end();
    });
  });
  const { port, close } = await listenLoopback(server);
  return {
    origin: `https://127.0.0.1:${port}`,
    caFile: cert,
    received,
    answer,
    close,
  };
}

/** A browser's subscription keys: a P-256 key pair and a 16-byte authentication secret. */
export interface DeviceKeys {
  ecdh: ECDH;
  publicKey: Buffer;
  auth: Buffer;
}

export function deviceKeys(): DeviceKeys {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  return { ecdh, publicKey, auth: randomBytes(16) };
}

/** PushSubscription.toJSON() of a device. */
export function subscriptionJson(endpoint: string, k: DeviceKeys) {
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: k.publicKey.toString('base64url'), auth: k.auth.toString('base64url') },
  };
}

/** Decrypts an `aes128gcm` push body for this device (a single record, as Web Push sends). */
export function decryptPush(body: Buffer, k: DeviceKeys): string {
  // RFC 8188 header: salt (16) | record size (4) | key id length (1) | key id = the sender's public key.
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (idlen !== 65) throw new Error(`key id is ${idlen} bytes, not an uncompressed P-256 point`);
  const senderKey = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error('more than one record');
  // RFC 8291 section 3.4: IKM from the ECDH secret and the auth secret, then RFC 8188's CEK and nonce.
  const ecdhSecret = k.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), k.publicKey, senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, k.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // Padding: the last record ends with the delimiter 0x02, then zeros.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record padding delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * Checks `Authorization: vapid t=<JWT>, k=<public key>`: the JWT is ES256-signed by that key, for
 * this push service's origin, not expired. Returns the claims and the key.
 */
export function checkVapid(headers: IncomingHttpHeaders, origin: string): { sub: string; k: string } {
  const m = /^vapid t=([\w.-]+),\s*k=([\w-]+)$/.exec(headers.authorization ?? '');
  if (!m) throw new Error(`not a VAPID authorization header: ${headers.authorization}`);
  const [, jwt, k] = m;
  const [h, p, sig] = jwt.split('.');
  const raw = Buffer.from(k, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  );
  if (!ok) throw new Error('the VAPID JWT signature does not verify');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
    aud: string;
    exp: number;
    sub: string;
  };
  if (claims.aud !== origin) throw new Error(`VAPID aud ${claims.aud} is not ${origin}`);
  if (claims.exp * 1000 < Date.now()) throw new Error('the VAPID JWT has expired');
  return { sub: claims.sub, k };
}
