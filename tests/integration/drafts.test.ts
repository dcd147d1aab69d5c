import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import { startNodeSanh, type NodeSanh } from '../../src/entry/node-server.js';
import { parseKeyRing, type KeyRing } from '../../src/platform/keyring.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { testRedisClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { Visitor, overHttp } from '../helpers/visitor.js';

const OLD = `old:${'o'.repeat(40)}`;
const NEW = `new:${'n'.repeat(40)}`;
const FIELDS = { fullName: 'Nguyễn Thị Hoa', nationalId: '001148012345', address: '12 Tôn Đức Thắng' };

const json = (method: string, body: unknown, headers: Record<string, string> = {}) => ({
  method,
  headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('drafts on Redis, over HTTP', () => {
  let portal: RunningDemoPortal;
  const running: NodeSanh[] = [];
  const keyPrefix = uniquePrefix('drafts-it');

  async function sanh(ring: KeyRing, input: ConfigInput = {}, redisUrl = testRedisUrl()): Promise<NodeSanh> {
    const config = parseConfig({ redis: { keyPrefix }, ...input });
    const started = await startNodeSanh({ config, keyRing: ring, originUrl: portal.url, redisUrl, port: 0, hostname: '127.0.0.1', logger: silentLogger });
    running.push(started);
    return started;
  }

  beforeAll(async () => {
    portal = await startDemoPortal({ port: 0, serviceMs: 1 });
  });
  afterAll(async () => {
    for (const s of running) await s.close().catch(() => undefined);
    await portal.close();
  });

  it('keeps nothing readable in Redis: no field value, no resume code, no owner cookie', async () => {
    const a = await sanh(parseKeyRing(NEW));
    const citizen = new Visitor(overHttp(a.url));
    const created = await citizen.request(
      '/_sanh/drafts',
      json('POST', { formId: 'residence-application', fields: FIELDS, returnTo: '/apply/step/1?cccd=079148000111' }),
    );
    expect(created.status).toBe(201);
    const view = (await created.json()) as { id: string; resumeCode: string; returnTo: string };
    expect(view.returnTo).toBe('/apply/step/1?cccd=079148000111');
    const owner = citizen.jar.get('sanh_draft_owner') ?? '';
    expect(owner).toHaveLength(43);

    const redis = await testRedisClient();
    try {
      const keys = await redis.keys(`${keyPrefix}:draft*`);
      expect(keys.length).toBeGreaterThanOrEqual(4);
      let everything = '';
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') everything += JSON.stringify(await redis.hgetall(key));
        else if (type === 'zset') everything += JSON.stringify(await redis.zrange(key, 0, -1));
        else if (type === 'string') everything += (await redis.get(key)) ?? '';
      }
      for (const secret of [
        FIELDS.nationalId,
        FIELDS.fullName,
        'Nguy',
        FIELDS.address,
        view.resumeCode,
        view.resumeCode.replace(/-/g, '').slice(6, 14),
        owner,
        '079148000111',
        'apply',
      ]) {
        expect(everything).not.toContain(secret);
      }
      const meta = keys.find((k) => k.endsWith(':meta')) as string;
      const ttl = await redis.pttl(meta);
      expect(ttl).toBeGreaterThan(30 * 86_400_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(30 * 86_400_000);
      for (const key of keys.filter((k) => k.includes(`{d:${view.id}}`))) expect(Math.abs((await redis.pttl(key)) - ttl)).toBeLessThan(5_000);
      const locator = keys.find((k) => k.includes(':draftcode:')) as string;
      expect(await redis.get(locator)).toBe(view.id);
      expect(Math.abs((await redis.pttl(locator)) - 2 * ttl)).toBeLessThan(5_000);
    } finally {
      await redis.quit();
    }
  });

  it('keeps attachment file names sealed in Redis, and shows them to the owner', async () => {
    const a = await sanh(parseKeyRing(NEW));
    const citizen = new Visitor(overHttp(a.url));
    const view = (await (await citizen.request('/_sanh/drafts', json('POST', { formId: 'residence-application' }))).json()) as { id: string };
    const name = 'CCCD_Nguyen_Thi_Hoa_001148012345.pdf';
    const metadata = `filename ${Buffer.from(name).toString('base64')},filetype ${Buffer.from('application/pdf').toString('base64')}`;
    const created = await citizen.request(`/_sanh/drafts/${view.id}/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '5', 'upload-metadata': metadata },
    });
    expect(created.status).toBe(201);
    const url = created.headers.get('location') as string;
    const head = await citizen.request(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    expect(head.headers.get('upload-metadata')).toBe(metadata);
    const listed = (await (await citizen.request(`/_sanh/drafts/${view.id}`)).json()) as { attachments: { name: string; url: string }[] };
    expect(listed.attachments.map((x) => [x.name, x.url])).toEqual([[name, url]]);
    const redis = await testRedisClient();
    try {
      const stored = JSON.stringify(await redis.hgetall(`${keyPrefix}:draft:{d:${view.id}}:uploads`));
      expect(stored.length).toBeGreaterThan(20);
      for (const secret of ['Nguyen', '001148012345', Buffer.from(name).toString('base64').slice(0, 12)]) expect(stored).not.toContain(secret);
    } finally {
      await redis.quit();
    }
  });

  it('shares drafts between instances: saved on one, resumed and read on another', async () => {
    const [a, b] = [await sanh(parseKeyRing(NEW)), await sanh(parseKeyRing(NEW))];
    const laptop = new Visitor(overHttp(a.url));
    const view = (await (await laptop.request('/_sanh/drafts', json('POST', { formId: 'residence-application', fields: FIELDS }))).json()) as {
      id: string;
      resumeCode: string;
    };
    const phone = new Visitor(overHttp(b.url));
    const resumed = await phone.request('/_sanh/drafts/resume', json('POST', { code: view.resumeCode }));
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as { fields: unknown }).fields).toEqual(FIELDS);
    const saved = await phone.request(
      `/_sanh/drafts/${view.id}`,
      json('PUT', { phone: '0912345678' }, { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' }),
    );
    expect(saved.status).toBe(200);
    const onA = await new Visitor(overHttp(a.url)).request(`/_sanh/drafts/${view.id}`);
    expect(onA.status).toBe(404);
    const laptopView = (await (await laptop.request(`/_sanh/drafts/${view.id}`)).json()) as { revision: number; fields: Record<string, string> };
    expect(laptopView.revision).toBe(2);
    expect(laptopView.fields.phone).toBe('0912345678');
  });

  it('rotates keys: a draft sealed under a retired key is read and sealed again under the new one', async () => {
    const before = await sanh(parseKeyRing(OLD));
    const citizen = new Visitor(overHttp(before.url));
    const view = (await (await citizen.request('/_sanh/drafts', json('POST', { formId: 'residence-application', fields: FIELDS }))).json()) as { id: string };
    const rotated = await sanh(parseKeyRing(`${NEW},${OLD}`));
    const onRotated = new Visitor(overHttp(rotated.url));
    for (const [k, v] of citizen.jar) onRotated.jar.set(k, v);
    expect(((await (await onRotated.request(`/_sanh/drafts/${view.id}`)).json()) as { fields: unknown }).fields).toEqual(FIELDS);
    const redis = await testRedisClient();
    try {
      const fieldsKey = `${keyPrefix}:draft:{d:${view.id}}:fields`;
      for (let i = 0; i < 50 && Object.values(await redis.hgetall(fieldsKey)).some((v) => v.startsWith('old.')); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(Object.values(await redis.hgetall(fieldsKey)).every((v) => v.startsWith('new.'))).toBe(true);
    } finally {
      await redis.quit();
    }
    const newOnly = await sanh(parseKeyRing(NEW));
    const onNew = new Visitor(overHttp(newOnly.url));
    for (const [k, v] of citizen.jar) onNew.jar.set(k, v);
    const read = (await (await onNew.request(`/_sanh/drafts/${view.id}`)).json()) as { fields: unknown; unreadableFields?: string[] };
    expect(read.fields).toEqual(FIELDS);
    expect(read.unreadableFields).toBeUndefined();
  });

  it('answers 503 with Retry-After while Redis is down, loses nothing saved before, and saves again once it is back', async () => {
    const server = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      const s = await sanh(parseKeyRing(NEW), {}, server.url);
      const citizen = new Visitor(overHttp(s.url));
      const view = (await (await citizen.request('/_sanh/drafts', json('POST', { formId: 'residence-application', fields: FIELDS }))).json()) as { id: string };
      await server.kill();
      const down = await citizen.request(
        `/_sanh/drafts/${view.id}`,
        json('PUT', { phone: '0912' }, { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' }),
      );
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
      await server.restart();
      let saved: Response | undefined;
      for (let i = 0; i < 100; i++) {
        saved = await citizen.request(
          `/_sanh/drafts/${view.id}`,
          json('PUT', { phone: '0912' }, { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' }),
        );
        if (saved.status !== 503) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(saved?.status).toBe(200);
      const read = (await (await citizen.request(`/_sanh/drafts/${view.id}`)).json()) as { fields: Record<string, string> };
      expect(read.fields).toEqual({ ...FIELDS, phone: '0912' });
    } finally {
      await server.stop();
    }
  });
});
