/**
 * `drafts`: encrypted draft saves on Redis. Each connection keeps saving its own citizen's draft
 * (a JSON merge of three changed fields, `If-Match` its last revision), the way the autosave
 * script does, against a Hono app doing one Redis round trip per request with the same body.
 */
import type autocannon from 'autocannon';
import { compare, type Target } from '../lib/load.js';
import { CORES, startNodeServer, startRedis } from '../lib/processes.js';
import { figure, type Scenario } from '../lib/scenario.js';
import { round } from '../lib/stats.js';
import { barChart } from '../lib/svg.js';

/** One citizen's draft as the load generator tracks it. */
interface BenchDraft {
  id: string;
  cookie: string;
  revision: number;
}

const FORM = 'residence-application';
/** Drafts made up front: one per connection of the widest run (the open-model latency run uses 100). */
const DRAFTS = 120;

const change = (n: number) =>
  JSON.stringify({
    fullName: `Nguyễn Thị Hoa ${n % 10}`,
    address: `Số ${n % 97} ngõ 12 phố Tôn Đức Thắng, phường Quốc Tử Giám`,
    documents: 'Giấy xác nhận thông tin về cư trú; hợp đồng thuê nhà có công chứng',
  });

async function makeDrafts(url: string, count: number): Promise<BenchDraft[]> {
  const drafts: BenchDraft[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/_sanh/drafts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` },
      body: JSON.stringify({
        formId: FORM,
        fields: { fullName: 'Nguyễn Thị Hoa', nationalId: '001148012345', birthDate: '1948-05-19' },
        returnTo: '/apply/step/1',
      }),
    });
    if (response.status !== 201) throw new Error(`could not start a draft: ${response.status} ${await response.text()}`);
    const view = (await response.json()) as { id: string; revision: number };
    const cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    drafts.push({ id: view.id, cookie, revision: view.revision });
  }
  return drafts;
}

/**
 * Reads every draft's current revision: a run ends with saves in flight whose answers the load
 * generator never reads, and the next run must not start from a revision they made stale.
 */
async function resync(url: string, drafts: BenchDraft[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  await Promise.all(
    drafts.map(async (draft) => {
      const response = await fetch(`${url}/_sanh/drafts/${draft.id}`, { headers: { cookie: draft.cookie } });
      draft.revision = ((await response.json()) as { revision: number }).revision;
    }),
  );
}

/**
 * A run's requests. autocannon gives each request a fresh context, so drafts are leased: a save
 * takes a draft no other connection is saving, and its answer hands it back with the revision it
 * made (a 412 also says the current revision). Drafts whose answers a run never read are re-read
 * by `resync` before the next run.
 */
function savesOf(drafts: BenchDraft[]): () => autocannon.Request[] {
  return () => {
    const free = [...drafts];
    let n = 0;
    return [
      {
        method: 'PUT',
        setupRequest: (request: autocannon.Request, state: object) => {
          const draft = free.pop();
          if (!draft) throw new Error('more connections than benchmark drafts');
          (state as { draft?: BenchDraft }).draft = draft;
          n += 1;
          return {
            ...request,
            path: `/_sanh/drafts/${draft.id}`,
            headers: { ...request.headers, 'content-type': 'application/merge-patch+json', 'if-match': `"${draft.revision}"`, cookie: draft.cookie },
            body: change(n),
          };
        },
        onResponse: (status: number, body: string, state: object) => {
          const draft = (state as { draft?: BenchDraft }).draft;
          if (!draft) return;
          if (status === 200 || status === 412) {
            const revision = (JSON.parse(body) as { revision?: number }).revision;
            if (typeof revision === 'number') draft.revision = revision;
          }
          free.push(draft);
        },
      },
    ];
  };
}

export const draftsScenario: Scenario = {
  name: 'drafts',
  title: 'Encrypted draft saves on Redis',
  async run(context) {
    const redis = await startRedis();
    const origin = await startNodeServer('bench/servers/fast-origin.ts', {}, CORES.support);
    const roundtrip = await startNodeServer('bench/servers/redis-roundtrip.ts', { REDIS_URL: redis.redisUrl });
    const config = { trustProxyHops: 1, drafts: { limits: { createPerMinute: 1_000_000, writesPerMinute: 1_000_000 } } };
    const sanh = await startNodeServer('bench/servers/sanh.ts', {
      SANH_CONFIG_JSON: JSON.stringify(config),
      ORIGIN_URL: origin.url,
      REDIS_URL: redis.redisUrl,
    });
    const drafts = await makeDrafts(sanh.url, DRAFTS);
    const targets: Target[] = [
      {
        label: 'Hono + one Redis round trip (same body)',
        url: `${roundtrip.url}/draft`,
        requests: () => [{ method: 'PUT', headers: { 'content-type': 'application/json' }, body: change(1) }],
      },
      { label: 'Sảnh draft save (encrypted, Redis)', url: sanh.url, requests: savesOf(drafts), before: () => resync(sanh.url, drafts) },
    ];
    const [base, save] = await compare(targets, context.quick ? 3 : 15, context.progress);
    const busiest = drafts.reduce((a, b) => (b.revision > a.revision ? b : a));
    const saved = await fetch(`${sanh.url}/_sanh/drafts/${busiest.id}`, { headers: { cookie: busiest.cookie } });
    const view = (await saved.json()) as { revision: number; fields: Record<string, string> };
    if (saved.status !== 200 || view.fields.nationalId !== '001148012345' || view.revision < 2) throw new Error('a benchmark draft did not keep its fields');
    return {
      figures: {
        draft_save_rps: figure(Math.round(save!.peakRps), 'req/s'),
        draft_save_p50_ms: figure(save!.p50, 'ms'),
        draft_save_p99_ms: figure(save!.p99, 'ms'),
        draft_save_errors: figure(save!.errors, 'count'),
        redis_roundtrip_rps: figure(Math.round(base!.peakRps), 'req/s'),
        redis_roundtrip_p50_ms: figure(base!.p50, 'ms'),
        redis_roundtrip_p99_ms: figure(base!.p99, 'ms'),
        draft_save_vs_redis_roundtrip_ratio: figure(round(save!.peakRps / base!.peakRps), 'ratio'),
      },
      targets: { draft_save_vs_redis_roundtrip_ratio: { op: '>=', value: 0.4 }, draft_save_errors: { op: '<=', value: 0, invariant: true } },
      charts: [
        {
          file: 'drafts.svg',
          title: 'drafts: peak saves per second, same core, same Redis',
          svg: barChart({
            title: 'drafts: peak saves per second, same core, same Redis',
            unit: 'req/s',
            bars: [base!, save!].map((c) => ({ label: c.target.label, value: Math.round(c.peakRps) })),
          }),
        },
      ],
      notes: [
        `Each of ${DRAFTS} drafts belongs to one connection; every save is a JSON merge of three changed fields (about 250 bytes) with If-Match its last revision: an owner check, three AES-GCM seals and one Lua script on Redis.`,
        `Latency measured in open-model runs at ${save!.latencyRate} req/s (half the slower target's peak). A 412 (stale revision) or any other non-200 counts as an error.`,
      ],
    };
  },
};
