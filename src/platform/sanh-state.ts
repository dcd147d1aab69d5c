/**
 * What Sảnh did with a request, as every answer says in its `Sanh-State` header: the one list of
 * them, which the gate, the submissions catcher, the metrics, the traces and the tests all use.
 */
export const SANH_STATES = [
  /** Let through to the portal with a valid pass. */
  'admitted',
  /** Seated on the waiting page (or its JSON): the room is at capacity. */
  'queued',
  /** Seated: the room is paused by an operator. */
  'paused',
  /** Seated on the countdown before a scheduled opening (a lottery entry). */
  'prequeue',
  /** The room is closed. */
  'closed',
  /** Asked to solve the join check first. */
  'challenge',
  /** A final submission kept, to be delivered at the room's rate (a receipt). */
  'deferred',
  /** Sảnh could not serve it (a store or origin fault, a limit). */
  'unavailable',
  /** Let through with no admission control: the room is in passthrough mode. */
  'passthrough',
  /** Let through by a bypass rule or a staff pass. */
  'bypass',
  /** A status poll from someone with no place in the room. */
  'none',
] as const;

/** One of `SANH_STATES`. */
export type SanhState = (typeof SANH_STATES)[number];

/** The header that carries it. */
export const SANH_STATE_HEADER = 'sanh-state';

const KNOWN: ReadonlySet<string> = new Set(SANH_STATES);

/** The state an answer says it is in, or `undefined` (no header, or not one of Sảnh's: the origin's own header). */
export function sanhStateOf(headers: Headers): SanhState | undefined {
  const value = headers.get(SANH_STATE_HEADER);
  return value !== null && KNOWN.has(value) ? (value as SanhState) : undefined;
}

/** Some of the states, checked against the list when written; asking about no state says no. */
export interface StateSet {
  has(state: SanhState | undefined): boolean;
}

/** A `StateSet` of `values`. */
export function states(...values: SanhState[]): StateSet {
  const set: ReadonlySet<SanhState> = new Set(values);
  return { has: (state) => state !== undefined && set.has(state) };
}
