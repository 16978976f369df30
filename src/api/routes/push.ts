import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.ts';
import { PushService } from '../../push/index.ts';
import { EndpointBody, PreferenceBody, SubscribeBody, subscriptionView } from '../../push/schema.ts';
import { parse } from '../validate.ts';

// Web Push (docs/CONTRACT.md "Push and the installable app"): the server's public VAPID key, and the devices that want
// pushes with their choice (all / needed / off). Bodies are checked with zod; bad input is a 400
// `invalid_request` that changes nothing. What gets pushed is decided by src/push/notifier.ts.
export async function pushRoutes(app: FastifyInstance): Promise<void> {
  const push = await PushService.open(app.ctx);
  app.addHook('onClose', () => push.close());

  app.get('/api/push/key', async () => ({ publicKey: (await push.vapidKeys()).publicKey }));

  // Idempotent by endpoint: 201 when the device is new, 200 when it was known (keys refreshed,
  // preference kept unless given).
  app.post('/api/push/subscriptions', async (req, reply) => {
    const body = parse(SubscribeBody, req.body ?? {});
    const { record, created } = await push.subscriptions.upsert(body);
    return reply.code(created ? 201 : 200).send({ subscription: subscriptionView(record) });
  });

  app.patch('/api/push/subscriptions', async (req) => {
    const { endpoint, preference } = parse(PreferenceBody, req.body ?? {});
    const record = await push.subscriptions.setPreference(endpoint, preference);
    if (!record) throw errors.notFound('Push subscription');
    return { subscription: subscriptionView(record) };
  });

  // Idempotent: 200 `{deleted}` whether or not it was there.
  app.delete('/api/push/subscriptions', async (req) => {
    const { endpoint } = parse(EndpointBody, req.body ?? {});
    return { deleted: await push.subscriptions.remove(endpoint) };
  });
}
