import { adaptiveBurst } from '../adaptive/core.js';
import { defaultAdmitBurst, type RoomConfig, type RoomMode } from '../config/schema.js';
import type { RoomLimits } from './core.js';

/** A scheduled opening with its instants parsed (epoch ms). */
export interface ScheduledEvent {
  id: string;
  preQueueFrom: number;
  opensAt: number;
  closesAt: number;
  hasPreQueue: boolean;
  maxActive: number | undefined;
  admitPerMinute: number | undefined;
  admitBurst: number | undefined;
}

/** Where a room stands at an instant: before an event's opening, inside an event, or neither. */
export type RoomPhase = { kind: 'normal' } | { kind: 'prequeue'; event: ScheduledEvent } | { kind: 'event'; event: ScheduledEvent };

/** A room at an instant: its mode, its phase and the limits the store applies. */
export interface RoomNow {
  mode: RoomMode;
  phase: RoomPhase;
  limits: RoomLimits;
}

/** Parsed events by the room's `events` array itself: a live change replaces the array, so it is parsed again. */
const parsedEvents = new WeakMap<RoomConfig['events'], ScheduledEvent[]>();

/** The room's events with parsed instants (parsed once per `events` array). */
export function scheduledEvents(room: RoomConfig): ScheduledEvent[] {
  let events = parsedEvents.get(room.events);
  if (!events) {
    events = room.events.map((event) => {
      const opensAt = Date.parse(event.opensAt);
      return {
        id: event.id,
        preQueueFrom: event.preQueueFrom ? Date.parse(event.preQueueFrom) : opensAt,
        opensAt,
        closesAt: event.closesAt ? Date.parse(event.closesAt) : Number.POSITIVE_INFINITY,
        hasPreQueue: event.preQueueFrom !== undefined,
        maxActive: event.maxActive,
        admitPerMinute: event.admitPerMinute,
        admitBurst: event.admitBurst,
      };
    });
    parsedEvents.set(room.events, events);
  }
  return events;
}

/** The phase of a room at `now` (pure). */
export function phaseAt(room: RoomConfig, now: number): RoomPhase {
  for (const event of scheduledEvents(room)) {
    if (now >= event.preQueueFrom && now < event.opensAt) return { kind: 'prequeue', event };
    if (now >= event.opensAt && now < event.closesAt) return { kind: 'event', event };
  }
  return { kind: 'normal' };
}

/** The operator's admission rate in force in a phase: an open event's own, else the room's (adaptive admission may lower it). */
export function operatorPerMinuteIn(room: RoomConfig, phase: RoomPhase): number {
  return (phase.kind === 'event' ? phase.event.admitPerMinute : undefined) ?? room.admitPerMinute;
}

/**
 * The limits the store applies to a room at `now`: an open event's own limits replace the room's,
 * and the mode becomes the `admitting` / `queueAll` switches (paused and closed rooms call
 * nobody, so places are kept; queue-all seats every arrival).
 */
export function roomAt(room: RoomConfig, now: number): RoomNow {
  const phase = phaseAt(room, now);
  const event = phase.kind === 'event' ? phase.event : undefined;
  const operatorPerMinute = operatorPerMinuteIn(room, phase);
  const operatorBurst = event?.admitBurst ?? (event?.admitPerMinute !== undefined ? defaultAdmitBurst(operatorPerMinute) : room.admitBurst);
  const admitPerMinute = room.adaptivePerMinute === undefined ? operatorPerMinute : Math.min(operatorPerMinute, room.adaptivePerMinute);
  const admitBurst = adaptiveBurst(operatorBurst, operatorPerMinute, admitPerMinute);
  return {
    mode: room.mode,
    phase,
    limits: {
      maxActive: event?.maxActive ?? room.maxActive,
      admitPerMinute,
      admitBurst,
      sessionIdleSeconds: room.sessionIdleSeconds,
      noShowSeconds: room.noShowSeconds,
      abandonAfterSeconds: room.abandonAfterSeconds,
      admitting: room.mode !== 'paused' && room.mode !== 'closed',
      queueAll: room.mode === 'queue-all',
    },
  };
}
