import type { ConfigInput } from '../../src/config/schema.js';

type RoomInput = NonNullable<ConfigInput['rooms']>[number];
type RoomSubmissionsInput = NonNullable<RoomInput['submissions']>;
type RouteInput = RoomSubmissionsInput['routes'][number];
type SubmissionsInput = NonNullable<ConfigInput['submissions']>;

/** What a submissions test changes of `submissionsConfig`'s defaults. */
export interface SubmissionsConfigOptions {
  /** Merged into the route `/apply/submit` (e.g. `defer`). */
  route?: Omit<RouteInput, 'path'>;
  /** Merged into the room `main` (e.g. `maxActive`). */
  room?: Omit<Partial<RoomInput>, 'id' | 'submissions'>;
  /** Merged into the room's `submissions` (e.g. `maxWaitingBytes`, `deliverPerMinute`). */
  roomSubmissions?: Omit<RoomSubmissionsInput, 'routes'>;
  /** Merged into the top-level `submissions` (e.g. `durability`). */
  submissions?: Omit<SubmissionsInput, 'delivery'>;
  /** Merged into `submissions.delivery`. */
  delivery?: SubmissionsInput['delivery'];
  /** Other top-level settings (e.g. `snapshotIntervalMs`). */
  config?: Omit<ConfigInput, 'rooms' | 'submissions' | 'redis'>;
}

/**
 * The configuration the submissions integration tests start Sảnh with (plain data, so it can be
 * handed to a child process as JSON): one room `main` over everything, admitting at once, whose
 * route `/apply/submit` takes final submissions; the origin times out after 1 s; acceptance is
 * not what is limited (100,000 a minute), and a failed delivery is tried again after 1 to 2 s;
 * Redis keys under `keyPrefix`.
 */
export function submissionsConfig(keyPrefix: string, options: SubmissionsConfigOptions = {}) {
  return {
    origin: { timeoutSeconds: 1 },
    ...options.config,
    rooms: [
      {
        id: 'main',
        match: ['/'],
        maxActive: 1_000,
        admitPerMinute: 60_000,
        clientLimits: { joinPerMinute: 100_000, statusPerMinute: 100_000 },
        ...options.room,
        submissions: { routes: [{ path: '/apply/submit', ...options.route }], ...options.roomSubmissions },
      },
    ],
    submissions: { acceptPerMinute: 100_000, ...options.submissions, delivery: { initialBackoff: '1s', maxBackoff: '2s', ...options.delivery } },
    redis: { keyPrefix },
  } satisfies ConfigInput;
}
