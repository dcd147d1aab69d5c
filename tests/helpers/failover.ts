/**
 * A Sentinel failover under load, shared by `tests/integration/failover.test.ts` (which holds it
 * to its targets) and the `failover` benchmark scenario (which reports it).
 *
 * One primary, one replica and three sentinels; two Sảnh processes on `redis+sentinel://`; a
 * portal of its own. Admitted visitors browse, queued visitors poll their place, citizens save
 * drafts, new visitors keep arriving and deferred submissions (durability "replicated") are sent,
 * each request to either instance. Mid-load the primary is SIGKILLed; the sentinels promote the
 * replica; a second later the old primary is started again as the new primary's replica (as a
 * supervisor that asks the sentinels does). Then the admitted visitors end their sessions, the
 * line must let everyone in, and every acknowledged submission must reach the portal once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.js';
import { startRedisSentinel, type SentinelServers } from './redis-topologies.js';
import { until } from './until.js';
import { Visitor, type Requester } from './visitor.js';

/** What a failover cost, as the test and the benchmark report it. */
export interface FailoverFigures {
  /** SIGKILL of the primary until the sentinels name the replica as primary (s). */
  failover_seconds: number;
  /** SIGKILL until joins are answered from the store again, for good (s). */
  joins_recovered_seconds: number;
  /** SIGKILL until draft saves succeed again, for good (s). */
  saves_recovered_seconds: number;
  /** SIGKILL until deferred submissions are acknowledged again, for good (s; needs the old primary back as a replica). */
  submissions_recovered_seconds: number;
  /** Requests of admitted visitors not let through to the portal. */
  admitted_refused: number;
  admitted_requests: number;
  /** Queued visitors whose ticket went, or whose place grew. */
  queue_positions_lost: number;
  /** Pairs of queued visitors whose places came to disagree with their tickets' order. */
  queue_positions_reordered: number;
  /** Queued visitors not admitted once the sessions ahead of them ended. */
  queued_never_admitted: number;
  /** Answers ≥ 500 other than a 503 with a documented code and Retry-After. */
  undocumented_5xx: number;
  /** Requests with no HTTP answer at all (connection reset, 5 s without an answer). */
  unanswered_requests: number;
  documented_503: number;
  submissions_acknowledged: number;
  submissions_refused: number;
  /** Acknowledged (202) submissions that never reached the portal. */
  acknowledged_submissions_lost: number;
  /** Submissions whose request reached the portal more than once (a delivery whose outcome could not be recorded is sent again with the same Idempotency-Key). */
  duplicate_deliveries: number;
  /** Submissions the portal filed more than once (it files a repeated Idempotency-Key once). */
  duplicate_filings: number;
  draft_saves: number;
  draft_saves_refused: number;
  /** Draft saves acknowledged and then not found (the revision went back): the device copy covers them. */
  draft_saves_lost: number;
  joins: number;
  joins_refused: number;
}

/** 503 codes Sảnh documents for a store that is briefly away. */
const DOCUMENTED_503 = new Set(['store_unavailable', 'store_not_durable']);
/** The gate's own 503 answers (a waiting page, a store it cannot reach), each with `Sanh-State` and `Retry-After`. */
const GATE_503_STATES = new Set(['queued', 'unavailable', 'paused', 'closed', 'prequeue']);

const SECRETS = `k1:${'f'.repeat(40)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The portal: any GET is a page (`/end` ends the session), POST /apply/submit files once per Idempotency-Key; arrivals and filings counted by `Sanh-Receipt`. */
async function startPortal(): Promise<{ url: string; arrivals: Map<string, number>; filings: Map<string, number>; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  /** Applications filed by Idempotency-Key: a careful portal files a repeated key once. */
  const filings = new Map<string, number>();
  const filed = new Set<string>();
  const read = async (request: IncomingMessage) => {
    for await (const _chunk of request) void _chunk;
  };
  const server: Server = createServer((request, response) => {
    void read(request).then(() => {
      if (request.method === 'POST' && request.url === '/apply/submit') {
        const receipt = String(request.headers['sanh-receipt'] ?? '');
        arrivals.set(receipt, (arrivals.get(receipt) ?? 0) + 1);
        const key = String(request.headers['idempotency-key'] ?? `none-${arrivals.size}`);
        if (!filed.has(key)) {
          filed.add(key);
          filings.set(receipt, (filings.get(receipt) ?? 0) + 1);
        }
        response.writeHead(200, { 'content-type': 'text/plain', 'sanh-application-number': `HS-${key}` }).end('filed');
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (request.url === '/end') headers['sanh-session'] = 'end';
      response.writeHead(200, headers).end('page');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    filings,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Sảnh process (`sanh-child.ts`) on the Sentinel URL. */
async function startInstance(config: unknown, originUrl: string, redisUrl: string, consumer: string): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./sanh-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ config, secrets: SECRETS, originUrl, redisUrl, consumer })], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: childEnv(),
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`a Sảnh instance exited with ${code}`)));
    setTimeout(() => reject(new Error('a Sảnh instance did not say it was ready within 30 s')), 30_000).unref();
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { url, child };
}

/** Sends each request to the next instance in turn. */
function roundRobin(urls: readonly string[]): Requester {
  let next = 0;
  return (path, init) => fetch(`${urls[next++ % urls.length]}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
}

/** Options of a failover run. */
export interface FailoverOptions {
  /** Seconds of load before the kill (default 3). */
  warmSeconds?: number;
  /** Seconds of load after everything recovered (default 3). */
  afterSeconds?: number;
  /** Admitted visitors, also the room's `maxActive` (default 6). */
  admitted?: number;
  /** Queued visitors behind them (default 6). */
  queued?: number;
  /** Citizens saving drafts (default 3). */
  savers?: number;
  progress?: (line: string) => void;
}

/** Runs the failover under load and measures it (see the file's comment). */
export async function runFailover(options: FailoverOptions = {}): Promise<{ figures: FailoverFigures; notes: string[] }> {
  const progress = options.progress ?? (() => undefined);
  const admittedCount = options.admitted ?? 6;
  const queuedCount = options.queued ?? 6;
  const savers = options.savers ?? 3;
  const config = {
    origin: { timeoutSeconds: 2 },
    snapshotIntervalMs: 200,
    rooms: [
      {
        id: 'main',
        match: ['/'],
        maxActive: admittedCount,
        admitPerMinute: 60_000,
        admitBurst: 100,
        sessionIdleSeconds: 120,
        noShowSeconds: 60,
        onStoreFailure: 'closed',
        clientLimits: { joinPerMinute: 1_000_000, statusPerMinute: 1_000_000 },
        submissions: { routes: [{ path: '/apply/submit', defer: 'always' }], deliverPerMinute: 6_000, deliverBurst: 20 },
      },
    ],
    submissions: {
      acceptPerMinute: 1_000_000,
      acceptPerMinutePerAddress: 1_000_000,
      durability: 'replicated',
      replicas: 1,
      delivery: { initialBackoff: '1s', maxBackoff: '2s', reclaimAfter: '4s' },
    },
    redis: { keyPrefix: `failover-${Math.random().toString(36).slice(2, 8)}` },
  };

  let sentinel: SentinelServers | undefined;
  let portal: Awaited<ReturnType<typeof startPortal>> | undefined;
  const instances: { url: string; child: ChildProcess }[] = [];
  try {
    sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3, downAfterMs: 1_000, failoverTimeoutMs: 5_000 });
    portal = await startPortal();
    for (const name of ['a', 'b']) instances.push(await startInstance(config, portal.url, sentinel.url, name));
    const send = roundRobin(instances.map((i) => i.url));
    const started = performance.now();
    const at = () => (performance.now() - started) / 1000;
    const counts = {
      noAnswer: 0,
      admitted: 0,
      admittedRefused: 0,
      undocumented: 0,
      documented: 0,
      joins: 0,
      joinsRefused: 0,
      saves: 0,
      savesRefused: 0,
      savesLost: 0,
      submitted: 0,
      refused: 0,
    };
    const lastFailure = { join: -1, save: -1, submission: -1 };
    const firstSuccessAfter = { join: Infinity, save: Infinity, submission: Infinity };
    const notes: string[] = [];

    /** A request Sảnh gave no HTTP answer to (reset, timed out): counted, and undefined. */
    const noAnswer = (error: unknown): undefined => {
      counts.noAnswer += 1;
      if (notes.length < 10) notes.push(`no answer: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    };
    /** Counts an answer ≥ 500 as documented or not; true when it is a failure of the store kind. */
    async function judge5xx(response: Response): Promise<void> {
      if (response.status < 500) return;
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { error?: { code?: string } } | undefined;
      const documented =
        response.status === 503 &&
        Number(response.headers.get('retry-after')) > 0 &&
        (DOCUMENTED_503.has(body?.error?.code ?? '') || GATE_503_STATES.has(response.headers.get('sanh-state') ?? ''));
      if (documented) {
        if (response.headers.get('sanh-state') !== 'queued') counts.documented += 1;
      } else {
        counts.undocumented += 1;
        if (notes.length < 10) notes.push(`${response.status} ${response.url} ${JSON.stringify(body)}`);
      }
    }
    function outcome(kind: keyof typeof lastFailure, ok: boolean): void {
      if (!ok) {
        lastFailure[kind] = at();
        firstSuccessAfter[kind] = Infinity;
      } else if (lastFailure[kind] >= 0 && firstSuccessAfter[kind] === Infinity) firstSuccessAfter[kind] = at();
    }
    const json = { accept: 'application/json' };

    const admitted: Visitor[] = [];
    for (let i = 0; i < admittedCount; i++) {
      const visitor = new Visitor(send, `admitted-${i}`);
      const answer = await visitor.request('/page', { headers: json });
      if (answer.headers.get('sanh-state') !== 'admitted')
        throw new Error(`visitor ${i} was not admitted: ${answer.status} ${answer.headers.get('sanh-state')}`);
      admitted.push(visitor);
    }
    const queued: { visitor: Visitor; ticket: string; position: number; lost: boolean; last: number; admitted: boolean }[] = [];
    for (let i = 0; i < queuedCount; i++) {
      const visitor = new Visitor(send, `queued-${i}`);
      const answer = await visitor.request('/page', { headers: json });
      const ticket = visitor.jar.get('sanh_ticket_main');
      if (answer.headers.get('sanh-state') !== 'queued' || !ticket) throw new Error(`visitor ${i} was not queued`);
      const status = await visitor.status('main');
      queued.push({ visitor, ticket, position: status.position ?? Infinity, lost: false, last: status.position ?? Infinity, admitted: false });
    }
    const drafts: { visitor: Visitor; id: string; revision: number; n: number }[] = [];
    for (let i = 0; i < savers; i++) {
      const visitor = new Visitor(send, `citizen-${i}`);
      const created = await visitor.request('/_sanh/drafts', {
        method: 'POST',
        headers: { ...json, 'content-type': 'application/json' },
        body: JSON.stringify({ formId: 'residence-application', fields: { n: 0 } }),
      });
      if (created.status !== 201) throw new Error(`draft not created: ${created.status}`);
      const view = (await created.json()) as { id: string; revision: number };
      drafts.push({ visitor, id: view.id, revision: view.revision, n: 0 });
    }
    const acknowledged = new Set<string>();
    let running = true;
    let killedAt = Infinity;

    const loops: Promise<void>[] = [];
    for (const visitor of admitted) {
      loops.push(
        (async () => {
          while (running) {
            const answer = await visitor.request('/page', { headers: json }).catch(noAnswer);
            counts.admitted += 1;
            if (answer?.status !== 200 || answer.headers.get('sanh-state') !== 'admitted') counts.admittedRefused += 1;
            if (answer) await judge5xx(answer);
            await sleep(200);
          }
        })(),
      );
    }
    for (const place of queued) {
      loops.push(
        (async () => {
          while (running) {
            await sleep(300);
            const answer = await place.visitor.request('/_sanh/status?room=main', { headers: json }).catch(noAnswer);
            if (!answer) continue;
            await judge5xx(answer);
            if (answer.status !== 200) continue;
            const status = (await answer.json()) as { state: string; position: number | null };
            if (
              place.visitor.jar.get('sanh_ticket_main') !== place.ticket ||
              status.state !== 'queued' ||
              status.position === null ||
              status.position > place.position
            )
              place.lost = true;
            else place.last = status.position;
          }
        })(),
      );
    }
    for (const draft of drafts) {
      loops.push(
        (async () => {
          while (running) {
            await sleep(300);
            const n = draft.n + 1;
            const answer = await draft.visitor
              .request(`/_sanh/drafts/${draft.id}`, {
                method: 'PUT',
                headers: { ...json, 'content-type': 'application/merge-patch+json', 'if-match': `"${draft.revision}"` },
                body: JSON.stringify({ n }),
              })
              .catch(noAnswer);
            counts.saves += 1;
            if (answer) await judge5xx(answer);
            if (answer?.status === 200) {
              draft.revision = ((await answer.json()) as { revision: number }).revision;
              draft.n = n;
              outcome('save', true);
              continue;
            }
            counts.savesRefused += 1;
            outcome('save', false);
            if (answer?.status === 412) {
              counts.savesLost += 1;
              const read = await draft.visitor.request(`/_sanh/drafts/${draft.id}`, { headers: json }).catch(() => undefined);
              if (read?.status === 200) draft.revision = ((await read.json()) as { revision: number }).revision;
            }
          }
        })(),
      );
    }
    loops.push(
      (async () => {
        let i = 0;
        while (running) {
          await sleep(150);
          const visitor = new Visitor(send, `arrival-${i++}`);
          const answer = await visitor.request('/page', { headers: json }).catch(noAnswer);
          counts.joins += 1;
          if (answer) await judge5xx(answer);
          const state = answer?.headers.get('sanh-state');
          const ok = (state === 'queued' && visitor.jar.has('sanh_ticket_main')) || (state === 'admitted' && answer?.status === 200);
          if (!ok) counts.joinsRefused += 1;
          outcome('join', ok);
        }
      })(),
    );
    loops.push(
      (async () => {
        let i = 0;
        while (running) {
          await sleep(100);
          const key = `f-${i++}`;
          const answer = await send('/apply/submit', {
            method: 'POST',
            headers: { ...json, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
            body: `n=${i}`,
          }).catch(noAnswer);
          counts.submitted += 1;
          if (answer) await judge5xx(answer);
          if (answer?.status === 202) {
            acknowledged.add(((await answer.json()) as { receiptId: string }).receiptId);
            outcome('submission', true);
          } else {
            counts.refused += 1;
            outcome('submission', false);
          }
        }
      })(),
    );

    await sleep((options.warmSeconds ?? 3) * 1000);
    const oldPrimary = await sentinel.primaryNode();
    const oldPort = oldPrimary.port;
    progress(`${at().toFixed(1)} s: SIGKILL the primary (port ${oldPort})`);
    killedAt = at();
    await oldPrimary.kill();
    await until(async () => (await sentinel!.primaryPort().catch(() => oldPort)) !== oldPort, {
      what: 'the sentinels to promote the replica',
      ms: 30_000,
      everyMs: 50,
    });
    const failoverSeconds = at() - killedAt;
    progress(`${at().toFixed(1)} s: the sentinels promoted the replica (${failoverSeconds.toFixed(1)} s); the old primary starts again`);
    await sleep(1_000);
    // As a supervisor does (the Bitnami chart's start script, an operator): ask the sentinels for
    // the primary and start as its replica. Started as a primary, the sentinels would convert it
    // only after about 8 s of it claiming the role.
    const newPrimary = await sentinel.primaryPort();
    await oldPrimary.restart(['--replicaof', '127.0.0.1', String(newPrimary)]);
    await until(async () => (await sentinel!.connectedReplicas(newPrimary)) === 1, {
      what: "the old primary to be the new primary's replica",
      ms: 30_000,
      everyMs: 100,
    });
    progress(`${at().toFixed(1)} s: the old primary is the new primary's replica`);
    const recovered = () =>
      Object.values(lastFailure).every((t) => t < 0) ||
      (Object.keys(lastFailure) as (keyof typeof lastFailure)[]).every((k) => lastFailure[k] < 0 || firstSuccessAfter[k] !== Infinity);
    await until(recovered, { what: 'joins, saves and submissions to succeed again', ms: 30_000, everyMs: 100 }).catch(() => undefined);
    await sleep((options.afterSeconds ?? 3) * 1000);
    running = false;
    await Promise.all(loops);
    progress(`${at().toFixed(1)} s: load stopped; the admitted end their sessions`);

    for (const visitor of admitted) await visitor.request('/end', { headers: json });
    await until(
      async () => {
        for (const place of queued.filter((p) => !p.admitted)) {
          const status = await place.visitor.status('main').catch(() => undefined);
          if (status?.state === 'admitted') place.admitted = true;
        }
        return queued.every((p) => p.admitted);
      },
      { what: 'the queued visitors to be admitted', ms: 15_000, everyMs: 200 },
    ).catch(() => undefined);
    await until(() => [...acknowledged].every((key) => portal!.arrivals.has(key)), {
      what: 'every acknowledged submission to reach the portal',
      ms: 30_000,
      everyMs: 100,
    }).catch(() => undefined);
    await sleep(500);

    const ordered = [...queued].sort((a, b) => a.position - b.position);
    let reordered = 0;
    for (let i = 0; i < ordered.length; i++) for (let j = i + 1; j < ordered.length; j++) if (ordered[i]!.last >= ordered[j]!.last) reordered += 1;
    /** Seconds from the kill to the first success after the last failure (-1: never recovered). */
    const since = (kind: keyof typeof lastFailure) =>
      lastFailure[kind] < 0 ? 0 : firstSuccessAfter[kind] === Infinity ? -1 : Math.max(0, firstSuccessAfter[kind] - killedAt);
    return {
      notes,
      figures: {
        failover_seconds: round(failoverSeconds),
        joins_recovered_seconds: round(since('join')),
        saves_recovered_seconds: round(since('save')),
        submissions_recovered_seconds: round(since('submission')),
        admitted_refused: counts.admittedRefused,
        admitted_requests: counts.admitted,
        queue_positions_lost: queued.filter((p) => p.lost).length,
        queue_positions_reordered: reordered,
        queued_never_admitted: queued.filter((p) => !p.admitted).length,
        undocumented_5xx: counts.undocumented,
        unanswered_requests: counts.noAnswer,
        documented_503: counts.documented,
        submissions_acknowledged: acknowledged.size,
        submissions_refused: counts.refused,
        acknowledged_submissions_lost: [...acknowledged].filter((key) => !portal!.arrivals.has(key)).length,
        duplicate_deliveries: [...portal.arrivals.values()].filter((n) => n > 1).length,
        duplicate_filings: [...portal.filings.values()].filter((n) => n > 1).length,
        draft_saves: counts.saves,
        draft_saves_refused: counts.savesRefused,
        draft_saves_lost: counts.savesLost,
        joins: counts.joins,
        joins_refused: counts.joinsRefused,
      },
    };
  } finally {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await portal?.close();
    await sentinel?.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
