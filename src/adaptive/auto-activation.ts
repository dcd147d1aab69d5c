/**
 * Auto-activation, the pure part: a room in `passthrough` switches itself to `open` (queueing)
 * when an interval of the origin is unhealthy (the adaptive thresholds), and back once this
 * instance has seen the origin healthy for `calmSeconds` (quiet intervals, with too few answers
 * to judge, neither start nor break that run; it ends on a healthy one) — only while its `open` is
 * still auto-activation's.
 * The room's mark (`autoActivation` in its live settings, shared by every instance) says so; an
 * operator who sets the mode meanwhile takes the room over (`endedByModeChange`), and auto-activation
 * waits for calm before it acts on that room again.
 */
import type { AutoActivationMarker } from '../config/adaptive.js';
import type { RoomMode } from '../config/schema.js';
import type { OriginHealth } from './core.js';

/** What auto-activation reads of a room: its mode and its mark, as this instance last applied them. */
export interface AutoActivationView {
  mode: RoomMode;
  marker: AutoActivationMarker | undefined;
}

/** One interval's facts for one room on one instance. */
export interface AutoActivationInput {
  /** `adaptive.autoActivate.enabled`: only new activations need it; one in force ends as usual. */
  enabled: boolean;
  calmSeconds: number;
  room: AutoActivationView;
  health: OriginHealth;
  /** Adaptive admission holds the rate below the operator's: the origin is not calm at the full rate yet. */
  throttled: boolean;
  /** Since when this instance has seen only calm intervals (before this one); undefined after an unhealthy one. */
  calmSince: number | undefined;
  now: number;
}

/** What to change in the room's live settings, if anything. */
export type AutoActivationAction =
  | { kind: 'none' }
  | { kind: 'activate'; reason: string }
  | { kind: 'deactivate'; reason: string }
  /** An operator ended an activation and the origin has been calm since: auto-activation may act again. */
  | { kind: 'rearm' };

/** An action that changes the room. */
export type AutoActivationChange = Exclude<AutoActivationAction, { kind: 'none' }>;

/** The decision for one interval, with this instance's calm run carried to the next one. */
export interface AutoActivationDecision {
  calmSince: number | undefined;
  action: AutoActivationAction;
}

const NOTHING: AutoActivationAction = { kind: 'none' };

/** The live-settings action name (audit log) of each change. */
export const AUTO_ACTIVATION_ACTIONS: Record<AutoActivationChange['kind'], string> = {
  activate: 'auto-activate',
  deactivate: 'auto-deactivate',
  rearm: 'auto-activation-rearm',
};

/** Who auto-activation's changes are by, in the audit log. */
export const AUTO_ACTIVATION_BY = 'auto-activation';

/** Decides one interval (pure): activate on an unhealthy interval, end after a calm period. */
export function decideAutoActivation(input: AutoActivationInput): AutoActivationDecision {
  const verdict = input.health.verdict;
  // A quiet interval (too few answers to judge) neither starts nor breaks a calm run: an instance
  // that proxies little must not end an activation that a busy instance still sees the need for.
  const calmSince = verdict === 'unhealthy' ? undefined : verdict === 'healthy' ? (input.calmSince ?? input.now) : input.calmSince;
  return { calmSince, action: actionOf(input, calmSince) };
}

function actionOf(input: AutoActivationInput, calmSince: number | undefined): AutoActivationAction {
  const { room, health } = input;
  const marker = room.marker;
  if (!marker) return input.enabled && room.mode === 'passthrough' && health.verdict === 'unhealthy' ? { kind: 'activate', reason: health.reason } : NOTHING;
  if (health.verdict !== 'healthy' || !calmLongEnough(calmSince, marker.endedAt ?? marker.since, input)) return NOTHING;
  // Ended by an operator (or a mode that is not auto-activation's `open` any more): forget the mark.
  if (marker.endedAt !== undefined || room.mode !== 'open') return { kind: 'rearm' };
  if (input.throttled) return NOTHING;
  return { kind: 'deactivate', reason: `the origin was calm for ${input.calmSeconds} s` };
}

/** Calm for `calmSeconds` on this instance, counted from `from` at the earliest (the mark's instant). */
function calmLongEnough(calmSince: number | undefined, from: string, input: AutoActivationInput): boolean {
  if (calmSince === undefined) return false;
  const start = Math.max(calmSince, Date.parse(from));
  return input.now - start >= input.calmSeconds * 1000;
}

/**
 * The live-settings patch for an action, made from the room's newest stored state (`stored`: the
 * room's overrides, to know whether its passthrough was an operator's); undefined for none.
 */
export function autoActivationPatch(
  action: AutoActivationAction,
  room: AutoActivationView,
  stored: { mode?: RoomMode },
  now: number,
): Record<string, unknown> | undefined {
  switch (action.kind) {
    case 'activate':
      return {
        mode: 'open',
        autoActivation: { since: new Date(now).toISOString(), reason: action.reason, passthroughFrom: stored.mode === undefined ? 'file' : 'operator' },
      };
    case 'deactivate':
      return { mode: room.marker?.passthroughFrom === 'operator' ? 'passthrough' : null, autoActivation: null };
    case 'rearm':
      return { autoActivation: null };
    case 'none':
      return undefined;
  }
}

/**
 * The patch an operator's change becomes: one that sets the mode (not auto-activation's own,
 * which names `autoActivation`) during an activation ends it — the mark says who and when, so the
 * mode is theirs and is never reverted.
 */
export function endedByModeChange(marker: AutoActivationMarker | undefined, patch: Record<string, unknown>, by: string, now: number): Record<string, unknown> {
  if (!marker || marker.endedAt !== undefined || patch.mode === undefined || 'autoActivation' in patch) return patch;
  return { ...patch, autoActivation: { ...marker, endedBy: by, endedAt: new Date(now).toISOString() } };
}
