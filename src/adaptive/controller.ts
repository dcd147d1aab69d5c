import { adaptiveSchema, autoActivateSchema, type AdaptiveConfig } from '../config/adaptive.js';
import type { RoomConfig, RoomMode } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { operatorPerMinuteIn, phaseAt } from '../waiting-room/schedule.js';
import {
  AUTO_ACTIVATION_ACTIONS,
  AUTO_ACTIVATION_BY,
  autoActivationPatch,
  decideAutoActivation,
  type AutoActivationChange,
  type AutoActivationInput,
  type AutoActivationView,
} from './auto-activation.js';
import { nextAdaptiveRate, originHealth, type AdaptivePolicy, type AdaptiveStep, type OriginHealth, type OriginWindow } from './core.js';
import type { OriginStats } from './origin-stats.js';

/**
 * How the controller changes a room's live settings for every instance (the composition root
 * passes live settings). `make` builds the patch from the room's newest stored state (`room` as
 * applied, `stored` its overrides), again after each lost compare-and-set; undefined: nothing is
 * written. Resolves to undefined when nothing was written.
 */
export interface RoomSettingsPort {
  update(
    roomId: string,
    make: (room: RoomConfig, stored: { mode?: RoomMode }) => Record<string, unknown> | undefined,
    by: string,
    action: string,
  ): Promise<object | undefined>;
}

/** What the controller last decided for a room. */
export interface AdaptiveState {
  /** The adaptive rate in force (admissions per minute); equal to the operator's when healthy. */
  ratePerMinute: number;
  /** The operator's rate when it was decided. */
  operatorPerMinute: number;
  step: AdaptiveStep | undefined;
  window: ReturnType<OriginStats['take']> | undefined;
  at: number | undefined;
}

/** The adaptive admission loops of this instance, one per room that enables it. */
export interface AdaptiveController {
  start(): void;
  stop(): void;
  /** Runs one control interval of a room now (the timers call it; tests may too). */
  tick(roomId: string): AdaptiveStep | undefined;
  state(roomId: string): AdaptiveState | undefined;
  /** Since when this instance has seen only calm intervals of the room's origin (auto-activation); undefined after an unhealthy one. */
  calmSince(roomId: string): number | undefined;
  /** Resolves once the room changes auto-activation has started are stored (or failed). */
  settled(): Promise<void>;
}

/** Thresholds and calm period for a room whose `adaptive` block is gone while its mark remains. */
const DEFAULTS: AdaptiveConfig = adaptiveSchema.parse({});
const DEFAULT_CALM_SECONDS = autoActivateSchema.parse({}).calmSeconds;

function policyOf(room: RoomConfig, operatorPerMinute: number): AdaptivePolicy | undefined {
  const adaptive = room.adaptive;
  if (!adaptive?.enabled) return undefined;
  return {
    targetP95Ms: adaptive.targetP95Ms,
    maxErrorRate: adaptive.maxErrorRate,
    minPerMinute: adaptive.minPerMinute,
    increasePerMinute: adaptive.increasePerMinute ?? Math.max(1, operatorPerMinute / 20),
    decreaseFactor: adaptive.decreaseFactor,
    minSamples: adaptive.minSamples,
  };
}

/** A room whose origin the controller watches: it adapts, may auto-activate, or carries a mark to end. */
function watchesOrigin(room: RoomConfig): boolean {
  return room.adaptive?.enabled === true || room.adaptive?.autoActivate?.enabled === true || room.autoActivation !== undefined;
}

const viewOf = (room: RoomConfig): AutoActivationView => ({ mode: room.mode, marker: room.autoActivation });

/**
 * Adaptive admission: every `intervalSeconds` a room's controller takes the origin's window (what
 * this instance saw while proxying), decides the next rate (`nextAdaptiveRate`, against the
 * operator's rate in force: an open event's own, else the room's) and sets it on the room as
 * `adaptivePerMinute`, which the line applies as `min(operator rate, adaptive rate)`. Each
 * instance adapts on what it sees; admitted visitors are never affected, only new admissions.
 * With `autoActivate`, the same window may switch a passthrough room to open and back
 * (`decideAutoActivation`), through `settings` so every instance follows.
 */
export function createAdaptiveController(options: {
  rooms: readonly RoomConfig[];
  stats: OriginStats;
  logger: Logger;
  settings?: RoomSettingsPort;
  clock?: () => number;
}): AdaptiveController {
  const { rooms, stats, logger, settings } = options;
  const clock = options.clock ?? Date.now;
  const states = new Map<string, AdaptiveState>();
  const calm = new Map<string, number | undefined>();
  const writing = new Set<string>();
  const writes = new Set<Promise<void>>();
  const timers: ReturnType<typeof setInterval>[] = [];

  function adapt(room: RoomConfig, window: OriginWindow, now: number): AdaptiveStep | undefined {
    const operator = operatorPerMinuteIn(room, phaseAt(room, now));
    const policy = policyOf(room, operator);
    if (!policy) {
      delete room.adaptivePerMinute;
      states.delete(room.id);
      return undefined;
    }
    const previous = states.get(room.id);
    // Unthrottled before: follow the operator's rate, also when it was raised live or an event opened.
    const from = !previous || previous.ratePerMinute >= previous.operatorPerMinute ? operator : previous.ratePerMinute;
    const step = nextAdaptiveRate(from, operator, window, policy, previous?.step);
    if (step.verdict !== 'hold' && (previous?.step?.verdict !== step.verdict || step.verdict === 'decrease')) {
      logger.info(step.verdict === 'decrease' ? 'the origin struggles: admitting fewer' : 'the origin is healthy: admitting more', {
        room: room.id,
        ratePerMinute: Math.round(step.rate * 100) / 100,
        operatorPerMinute: operator,
        reason: step.reason,
      });
    }
    states.set(room.id, { ratePerMinute: step.rate, operatorPerMinute: operator, step, window, at: now });
    if (step.rate < operator) room.adaptivePerMinute = step.rate;
    else delete room.adaptivePerMinute;
    return step;
  }

  /**
   * The origin's health for auto-activation: to switch on, the adaptive thresholds as they are
   * (`minSamples` answers at least); during an activation, every answer counts (a queueing room
   * sends the origin little), so a calm run needs answers within the thresholds and an interval
   * without any answer (an instance proxying nothing) is quiet: it neither starts nor breaks one.
   */
  function autoActivationHealth(window: OriginWindow, room: RoomConfig): OriginHealth {
    const thresholds = room.adaptive ?? DEFAULTS;
    return originHealth(window, room.autoActivation ? { ...thresholds, minSamples: 1 } : thresholds);
  }

  function autoActivate(room: RoomConfig, window: OriginWindow, now: number): void {
    const autoActivate = room.adaptive?.autoActivate;
    const input: AutoActivationInput = {
      enabled: autoActivate?.enabled === true,
      calmSeconds: autoActivate?.calmSeconds ?? DEFAULT_CALM_SECONDS,
      room: viewOf(room),
      health: autoActivationHealth(window, room),
      throttled: room.adaptivePerMinute !== undefined,
      calmSince: calm.get(room.id),
      now,
    };
    const decision = decideAutoActivation(input);
    calm.set(room.id, decision.calmSince);
    if (decision.action.kind !== 'none') change(room.id, input, decision.action);
  }

  /** Stores the change if the newest stored state still calls for it (another instance may have made it). */
  function change(roomId: string, input: AutoActivationInput, action: AutoActivationChange): void {
    if (!settings || writing.has(roomId)) return;
    writing.add(roomId);
    const make = (fresh: RoomConfig, stored: { mode?: RoomMode }) => {
      const again = decideAutoActivation({ ...input, room: viewOf(fresh) }).action;
      return again.kind === action.kind ? autoActivationPatch(again, viewOf(fresh), stored, input.now) : undefined;
    };
    const write = settings
      .update(roomId, make, AUTO_ACTIVATION_BY, AUTO_ACTIVATION_ACTIONS[action.kind])
      .then((written) => {
        if (written) logChange(roomId, action);
      })
      .catch((error: unknown) =>
        logger.warn('auto-activation could not change the room; it tries again next interval', { room: roomId, action: action.kind, error: String(error) }),
      )
      .finally(() => {
        writing.delete(roomId);
        writes.delete(write);
      });
    writes.add(write);
  }

  function logChange(roomId: string, action: AutoActivationChange): void {
    if (action.kind === 'activate')
      logger.warn('the origin struggles: the room switched itself from passthrough to open (auto-activation)', { room: roomId, reason: action.reason });
    else if (action.kind === 'deactivate')
      logger.info('the origin is calm again: the room is back to passthrough (auto-activation)', { room: roomId, reason: action.reason });
    else logger.info('auto-activation watches the room again: the origin was calm since an operator set its mode', { room: roomId });
  }

  function tick(roomId: string): AdaptiveStep | undefined {
    const room = rooms.find((r) => r.id === roomId);
    if (!room) return undefined;
    // Every room's window is taken, so the admin figures show each room's origin health.
    const window = stats.take(room.id);
    if (!watchesOrigin(room)) {
      delete room.adaptivePerMinute;
      states.delete(room.id);
      calm.delete(room.id);
      return undefined;
    }
    const now = clock();
    const step = adapt(room, window, now);
    autoActivate(room, window, now);
    return step;
  }

  return {
    start() {
      // Every room gets its loop (a tick of a room that does not adapt clears its adaptive rate), so
      // adaptive admission can be switched on live; the interval is the one in force at start.
      for (const room of rooms) {
        const timer = setInterval(() => tick(room.id), (room.adaptive?.intervalSeconds ?? 5) * 1000);
        (timer as { unref?: () => void }).unref?.();
        timers.push(timer);
      }
    },
    stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
    tick,
    state: (roomId) => states.get(roomId),
    calmSince: (roomId) => calm.get(roomId),
    settled: async () => void (await Promise.all([...writes])),
  };
}
