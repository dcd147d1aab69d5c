import type { RoomConfig } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { nextAdaptiveRate, type AdaptivePolicy, type AdaptiveStep } from './core.js';
import type { OriginStats } from './origin-stats.js';

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
}

function policyOf(room: RoomConfig): AdaptivePolicy | undefined {
  const adaptive = room.adaptive;
  if (!adaptive?.enabled) return undefined;
  return {
    targetP95Ms: adaptive.targetP95Ms,
    maxErrorRate: adaptive.maxErrorRate,
    minPerMinute: adaptive.minPerMinute,
    increasePerMinute: adaptive.increasePerMinute ?? Math.max(1, room.admitPerMinute / 20),
    decreaseFactor: adaptive.decreaseFactor,
    minSamples: adaptive.minSamples,
  };
}

/**
 * Adaptive admission: every `intervalSeconds` a room's controller takes the origin's window (what
 * this instance saw while proxying), decides the next rate (`nextAdaptiveRate`) and sets it on the
 * room as `adaptivePerMinute`, which the line applies as `min(operator rate, adaptive rate)`.
 * Each instance adapts on what it sees; admitted visitors are never affected, only new admissions.
 */
export function createAdaptiveController(options: { rooms: readonly RoomConfig[]; stats: OriginStats; logger: Logger; clock?: () => number }): AdaptiveController {
  const { rooms, stats, logger } = options;
  const clock = options.clock ?? Date.now;
  const states = new Map<string, AdaptiveState>();
  const timers: ReturnType<typeof setInterval>[] = [];

  function tick(roomId: string): AdaptiveStep | undefined {
    const room = rooms.find((r) => r.id === roomId);
    const policy = room && policyOf(room);
    if (!room || !policy) {
      if (room) {
        delete room.adaptivePerMinute;
        states.delete(room.id);
      }
      return undefined;
    }
    const previous = states.get(room.id);
    const window = stats.take(room.id);
    // Unthrottled before: follow the operator's rate, also when it was raised live.
    const from = !previous || previous.ratePerMinute >= previous.operatorPerMinute ? room.admitPerMinute : previous.ratePerMinute;
    const step = nextAdaptiveRate(from, room.admitPerMinute, window, policy, previous?.step);
    if (step.verdict !== 'hold' && (previous?.step?.verdict !== step.verdict || step.verdict === 'decrease')) {
      logger.info(step.verdict === 'decrease' ? 'the origin struggles: admitting fewer' : 'the origin is healthy: admitting more', {
        room: room.id,
        ratePerMinute: Math.round(step.rate * 100) / 100,
        operatorPerMinute: room.admitPerMinute,
        reason: step.reason,
      });
    }
    states.set(room.id, { ratePerMinute: step.rate, operatorPerMinute: room.admitPerMinute, step, window, at: clock() });
    if (step.rate < room.admitPerMinute) room.adaptivePerMinute = step.rate;
    else delete room.adaptivePerMinute;
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
  };
}
