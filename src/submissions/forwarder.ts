import type { RoomConfig } from '../config/schema.js';
import type { SubmissionsConfig } from '../config/submissions.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { SanhError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { OriginClient } from '../proxy/port.js';
import { inSpan, markFailed, recordError, type Span } from '../telemetry/tracing.js';
import { limitsOf } from '../waiting-room/rooms.js';
import { compileRoutes, deliveryRate, judgeAttempt, matchRoute, settle, type AttemptResult, type CompiledRoute } from './core.js';
import type { CapturedAnswer, SubmissionSealer } from './sealing.js';
import type { Backlog, Delivery, DeliveryPolicy, StoredSettlement, SubmissionStore } from './store.js';

/** Whether a room's origin has been failing lately, as deliveries and straight attempts saw it. */
export interface OriginHealth {
  failing(room: string): boolean;
  /** A failure; `holdOffMs`: forwarders of this instance wait this long before trying the origin again (a straight attempt just failed). */
  noteFailure(room: string, holdOffMs?: number): void;
  noteSuccess(room: string): void;
  /** How long this instance's forwarders should still leave the origin alone (ms, 0: not at all). */
  holdOffMs(room: string): number;
}

/** After a failure, a room's origin counts as failing this long unless a delivery succeeds first. */
const FAILING_FOR_MS = 15_000;

/** Origin health per room, in this instance's memory. */
export function createOriginHealth(clock: Clock = systemClock): OriginHealth {
  const failingUntil = new Map<string, number>();
  const quietUntil = new Map<string, number>();
  return {
    failing: (room) => (failingUntil.get(room) ?? 0) > clock(),
    noteFailure(room, holdOffMs) {
      failingUntil.set(room, clock() + FAILING_FOR_MS);
      if (holdOffMs !== undefined) quietUntil.set(room, Math.max(quietUntil.get(room) ?? 0, clock() + holdOffMs));
    },
    noteSuccess(room) {
      failingUntil.delete(room);
      quietUntil.delete(room);
    },
    holdOffMs: (room) => Math.max(0, (quietUntil.get(room) ?? 0) - clock()),
  };
}

/** What a forwarder is built from. */
export interface ForwarderOptions {
  rooms: readonly RoomConfig[];
  config: SubmissionsConfig;
  store: SubmissionStore;
  origin: OriginClient;
  sealer: SubmissionSealer;
  health: OriginHealth;
  /** This instance's consumer name in every room's consumer group. */
  consumer: string;
  /** How long the forwarder sleeps when a room has nothing due (ms; woken early by `wake`). */
  idleMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/** The forwarders of this instance: one delivery loop per room with deferrable routes. */
export interface Forwarder {
  start(): void;
  /** Stops taking new deliveries and waits for those in flight. */
  stop(): Promise<void>;
  /** A submission was just accepted in `room`: look now instead of at the next idle tick. */
  wake(room: string): void;
  /** The room's backlog as last counted (every second or so); undefined before the first count. */
  backlog(room: string): Backlog | undefined;
}

/** How often each loop counts its room's backlog. */
const BACKLOG_EVERY_MS = 1_000;
/** The wait after a store fault before the loop tries again. */
const STORE_FAULT_WAIT_MS = 1_000;
/** Tries at recording an attempt's outcome before leaving it to be reclaimed. */
const SETTLE_ATTEMPTS = 4;

/** Reads at most `max` bytes of an answer; undefined when it is longer (not kept). */
async function readCapped(response: Response, max: number): Promise<Uint8Array | undefined> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** The span of each delivery attempt; the origin call is its CLIENT child. */
const DELIVERY_SPAN = 'sanh.submission.deliver';

/**
 * A delivery attempt on its span: room, receipt number (never its id), attempt, what the portal
 * answered and what became of it (`delivered`, `retry`, `failed`); not delivered fails the span.
 */
function describeDelivery(span: Span, roomId: string, delivery: Delivery, result: AttemptResult | undefined, settlement: StoredSettlement): void {
  if (!span.isRecording()) return;
  span.setAttribute('sanh.room', roomId);
  span.setAttribute('sanh.submission.receipt_number', delivery.receipt.number);
  span.setAttribute('sanh.submission.attempt', delivery.receipt.attempts);
  span.setAttribute('sanh.submission.outcome', settlement.kind);
  if (result?.kind === 'answered') span.setAttribute('http.response.status_code', result.status);
  if (settlement.kind === 'delivered') return;
  span.setAttribute('sanh.submission.problem', settlement.problem);
  markFailed(span, result === undefined ? 'unreadable' : result.kind === 'answered' ? String(result.status) : result.kind);
}

/**
 * The forwarders. Each room's loop asks the store for the next due submission (which keeps to the
 * room's delivery rate over all instances, in acceptance order), sends it to the origin with its
 * carried headers and its `Idempotency-Key`, and settles it: delivered (with the portal's status,
 * application number and a copy of its answer), retried after a back-off, or failed for good.
 * Up to `delivery.concurrency` deliveries per room are in flight on this instance.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { store, origin, sealer, health, consumer, config } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const idleMs = options.idleMs ?? 250;
  const rooms = options.rooms.filter((room) => room.submissions);
  const routes = new Map<string, CompiledRoute[]>(rooms.map((room) => [room.id, compileRoutes(room.submissions?.routes ?? [])]));
  const backlogs = new Map<string, Backlog>();
  const wakers = new Map<string, () => void>();
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loops: Promise<void>[] = [];

  function sleep(room: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        if (wakers.get(room) === done) wakers.delete(room);
        resolve();
      }
      wakers.set(room, done);
    });
  }

  async function attempt(
    delivery: Delivery,
  ): Promise<{ result: AttemptResult; answer?: CapturedAnswer; applicationNumber?: string; delivered: readonly string[] }> {
    const request = await sealer.openRequest(delivery.receipt.id, delivery.request);
    const headers = new Headers(request.headers);
    headers.set('idempotency-key', `"${request.originKey}"`);
    headers.set('sanh-receipt', delivery.receipt.id);
    let response: Response;
    try {
      response = await origin.forward({
        method: request.method,
        pathAndQuery: request.path,
        headers,
        body: request.body.byteLength > 0 ? request.body : null,
        forwarding: request.forwarding,
        room: delivery.receipt.room,
      });
    } catch (error) {
      if (error instanceof SanhError && error.code === 'origin_timeout') return { result: { kind: 'timeout' }, delivered: [] };
      return { result: { kind: 'unreachable' }, delivered: [] };
    }
    const route = matchRoute(routes.get(delivery.receipt.room) ?? [], request.method, request.path.split('?')[0] ?? '');
    const numberHeader = route?.applicationNumberHeader ?? 'sanh-application-number';
    const delivered = route?.deliveredStatuses ?? ['2xx', '3xx'];
    const applicationNumber = response.headers.get(numberHeader)?.trim().slice(0, 100) || undefined;
    let body: Uint8Array | undefined;
    try {
      body = await readCapped(response, config.delivery.maxAnswerBytes);
    } catch {
      return { result: { kind: 'unreachable' }, delivered };
    }
    const result: AttemptResult = { kind: 'answered', status: response.status, retryAfter: response.headers.get('retry-after') };
    const contentType = response.headers.get('content-type') ?? undefined;
    const location = response.headers.get('location') ?? undefined;
    return {
      result,
      delivered,
      ...(body !== undefined ? { answer: { status: response.status, contentType, ...(location ? { location } : {}), body } } : {}),
      ...(applicationNumber ? { applicationNumber } : {}),
    };
  }

  async function deliver(roomId: string, delivery: Delivery, span: Span): Promise<void> {
    let settlement: StoredSettlement;
    let result: AttemptResult | undefined;
    const handedAt = clock();
    try {
      const tried = await attempt(delivery);
      const { answer, applicationNumber, delivered } = tried;
      result = tried.result;
      const now = clock();
      // The receipt's deadline is on the store's clock: compare it with the store's now.
      const storeNow = delivery.storeNow + (now - handedAt);
      const decided = settle(delivery.receipt, judgeAttempt(result, now, delivered), result, config.delivery, storeNow, random(), applicationNumber);
      if (decided.kind === 'delivered') health.noteSuccess(roomId);
      else if (decided.kind === 'retry' || decided.reason !== 'rejected') health.noteFailure(roomId);
      const sealedAnswer = answer && decided.kind !== 'retry' ? await sealer.sealAnswer(delivery.receipt.id, answer) : undefined;
      settlement = sealedAnswer && decided.kind !== 'retry' ? { ...decided, answer: sealedAnswer } : decided;
      if (decided.kind === 'failed')
        logger.warn('a submission could not be delivered and went to the dead letters', {
          room: roomId,
          receiptNumber: delivery.receipt.number,
          reason: decided.reason,
          problem: decided.problem,
        });
    } catch (error) {
      logger.error('a submission could not be opened; it goes to the dead letters', {
        room: roomId,
        receiptNumber: delivery.receipt.number,
        error: String(error),
      });
      recordError(span, error);
      settlement = { kind: 'failed', reason: 'attempts', problem: 'unreadable' };
    }
    describeDelivery(span, roomId, delivery, result, settlement);
    await record(roomId, delivery, settlement);
  }

  /** Settles an attempt, trying a few times: what the origin answered is worth keeping through a store blip. */
  async function record(roomId: string, delivery: Delivery, settlement: StoredSettlement): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const mine = await store.settle(roomId, consumer, delivery, settlement);
        if (!mine)
          logger.warn('a delivery was reclaimed by another forwarder before it was settled here', { room: roomId, receiptNumber: delivery.receipt.number });
        return;
      } catch (error) {
        if (attempt >= SETTLE_ATTEMPTS) {
          logger.warn('could not record a delivery; another forwarder will reclaim it and send it again with the same key', {
            room: roomId,
            receiptNumber: delivery.receipt.number,
            error: String(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  async function loop(room: RoomConfig): Promise<void> {
    const rate = deliveryRate(room);
    const policy: DeliveryPolicy = { ...rate, reclaimAfterMs: config.delivery.reclaimAfter * 1000, orderedAttempts: config.delivery.orderedAttempts };
    const mine = new Set<Promise<void>>();
    let countedAt = 0;
    while (running) {
      if (clock() - countedAt >= BACKLOG_EVERY_MS) {
        countedAt = clock();
        await Promise.all([store.backlog(room.id), store.waitingBytes(room.id)]).then(
          ([b, bytes]) => void backlogs.set(room.id, { ...b, bytes }),
          () => void backlogs.delete(room.id),
        );
      }
      if (!limitsOf(room, clock()).admitting) {
        await sleep(room.id, idleMs);
        continue;
      }
      const quiet = health.holdOffMs(room.id);
      if (quiet > 0) {
        await sleep(room.id, Math.min(quiet, idleMs));
        continue;
      }
      if (mine.size >= config.delivery.concurrency) {
        await Promise.race(mine);
        continue;
      }
      let next;
      try {
        next = await store.next(room.id, consumer, policy);
      } catch (error) {
        logger.warn('the submissions store could not be read; forwarding waits', { room: room.id, error: String(error) });
        await sleep(room.id, STORE_FAULT_WAIT_MS);
        continue;
      }
      if (next.kind === 'wait') {
        await sleep(room.id, Math.min(next.ms, idleMs));
        continue;
      }
      const delivery = next.delivery;
      const job = inSpan(DELIVERY_SPAN, (span) => deliver(room.id, delivery, span)).finally(() => {
        mine.delete(job);
        inFlight.delete(job);
      });
      mine.add(job);
      inFlight.add(job);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loops = rooms.map((room) =>
        loop(room).catch((error: unknown) => {
          logger.error('a forwarder loop stopped', { room: room.id, error: String(error) });
        }),
      );
    },
    async stop() {
      running = false;
      for (const wake of [...wakers.values()]) wake();
      await Promise.all(loops);
      await Promise.all([...inFlight]);
    },
    wake(room) {
      wakers.get(room)?.();
    },
    backlog: (room) => backlogs.get(room),
  };
}
