/**
 * Baseline: a Hono app on @hono/node-server doing one Redis round trip (INCR) per request. A PUT
 * reads its JSON body first, as a draft save does; a POST reads its form-urlencoded body and
 * answers 202, as a deferred submission does.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const app = new Hono();
app.get('*', async (c) => c.json({ n: await redis.incr('bench:roundtrip') }));
app.put('*', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  return c.json({ n: await redis.incr('bench:roundtrip'), fields: Object.keys(body).length });
});
app.post('*', async (c) => {
  const form = new URLSearchParams(await c.req.text());
  return c.json({ n: await redis.incr('bench:roundtrip'), fields: form.size }, 202);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
