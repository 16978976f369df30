import { z } from 'zod';

// What a browser sends (PushSubscription.toJSON(), docs/CONTRACT.md "Push and the installable app") and what
// is kept of it. The endpoint is a URL the server will POST to: https only, no credentials in it, bounded in
// length. The keys are checked for their RFC 8291 sizes, so a bad one is a 400 now rather than a failed push
// later.

export const PreferenceSchema = z.enum(['all', 'needed', 'off']);
/** all: permission requests and long turns ending; needed: permission requests only; off: nothing. */
export type PushPreference = z.infer<typeof PreferenceSchema>;

const base64url = (bytes: number, what: string) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `${what} must be ${bytes} bytes`);

const Endpoint = z
  .string()
  .min(1)
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' && !u.username && !u.password && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an https: URL without credentials');

export const KeysSchema = z.object({
  /** The browser's P-256 public key, uncompressed (65 bytes, starting 0x04). */
  p256dh: base64url(65, 'p256dh').refine(
    (s) => Buffer.from(s, 'base64url')[0] === 4,
    'p256dh must be an uncompressed point',
  ),
  /** The 16-byte authentication secret. */
  auth: base64url(16, 'auth'),
});

export const SubscribeBody = z.object({
  endpoint: Endpoint,
  expirationTime: z.number().nullable().optional(),
  keys: KeysSchema,
  preference: PreferenceSchema.optional(),
});

export const PreferenceBody = z.object({ endpoint: Endpoint, preference: PreferenceSchema }).strict();
export const EndpointBody = z.object({ endpoint: Endpoint }).strict();

export const SubscriptionRecordSchema = z.object({
  endpoint: z.string(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
  expirationTime: z.number().nullable(),
  preference: PreferenceSchema,
  created_at: z.number(),
  updated_at: z.number(),
});
export type SubscriptionRecord = z.infer<typeof SubscriptionRecordSchema>;

export const SubscriptionsFileSchema = z.object({
  version: z.literal(1),
  subscriptions: z.array(SubscriptionRecordSchema),
});

/** What the API shows of a subscription: never its keys. */
export function subscriptionView(r: SubscriptionRecord) {
  return {
    endpoint: r.endpoint,
    preference: r.preference,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
