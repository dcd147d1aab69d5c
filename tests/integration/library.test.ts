import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { requestId } from 'hono/request-id';
import {
  connectRedis,
  createDrafts,
  createRedisDraftStore,
  createRedisWaitingRoomStore,
  createWaitingRoom,
  errorMapper,
  parseConfig,
  parseKeyRing,
  silentLogger,
  type SanhEnv,
  type WaitingRoom,
} from 'sanh';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { Visitor, inProcess } from '../helpers/visitor.js';

describe('the built package, mounted in a Hono portal as docs/architecture.md shows', () => {
  let waitingRoom: WaitingRoom | undefined;
  const client = connectRedis(testRedisUrl());

  afterAll(async () => {
    await waitingRoom?.stop();
    client.disconnect();
  });

  it('gates the portal routes in-process with the Redis store', async () => {
    const config = parseConfig({ rooms: [{ id: 'main', match: ['/apply'], maxActive: 1, admitPerMinute: 300 }] });
    waitingRoom = createWaitingRoom({
      rooms: config.rooms,
      store: createRedisWaitingRoomStore({ client, keyPrefix: uniquePrefix('library') }),
      keyRing: parseKeyRing(`lib:${'l'.repeat(40)}`),
      logger: silentLogger,
    });
    await new Promise((r) => (client.status === 'ready' ? r(undefined) : client.once('ready', r)));
    await waitingRoom.start();
    const app = new Hono<SanhEnv>();
    app.use(requestId());
    app.onError(errorMapper(silentLogger));
    app.route('/_sanh', waitingRoom.routes);
    const drafts = createDrafts({
      config: config.drafts,
      store: createRedisDraftStore({ client, keyPrefix: uniquePrefix('library') }),
      keyRing: parseKeyRing(`lib:${'l'.repeat(40)}`),
    });
    app.route('/_sanh', drafts.routes);
    app.use('*', waitingRoom.gate);
    app.post('/apply/submit', (c) => c.text('received', 200, { 'Sanh-Session': 'end' }));
    app.get('*', (c) => c.text(`portal ${c.req.path}`));

    const first = new Visitor(inProcess(app));
    const second = new Visitor(inProcess(app));
    expect(await (await first.page('/apply')).text()).toBe('portal /apply');
    expect((await second.page('/apply')).headers.get('sanh-state')).toBe('queued');
    const saved = await second.request('/_sanh/drafts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ formId: 'apply', fields: { name: 'Hoa' } }),
    });
    expect(saved.status).toBe(201);
    const { id } = (await saved.json()) as { id: string };
    expect(((await (await second.request(`/_sanh/drafts/${id}`)).json()) as { fields: unknown }).fields).toEqual({ name: 'Hoa' });
    expect((await second.page('/news')).headers.get('sanh-state')).toBe('passthrough');
    await first.request('/apply/submit', { method: 'POST' });
    await new Promise((r) => setTimeout(r, 50));
    await waitingRoom.snapshots.refresh();
    expect(await second.status('main')).toMatchObject({ state: 'admitted' });
    expect(await (await second.page('/apply/form')).text()).toBe('portal /apply/form');
  });
});
