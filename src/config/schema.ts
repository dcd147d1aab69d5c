import { z } from 'zod';
import { parseCidr } from '../platform/cidr.js';
import { templateProblems } from '../waiting-room/template.js';
import { draftsSchema } from './drafts.js';
import { roomSubmissionsSchema, submissionsSchema } from './submissions.js';
import { adaptiveSchema, autoActivationMarkerSchema } from './adaptive.js';
import { pathNormalizationSchema } from './paths.js';
import { normalisePath, pathRules } from '../waiting-room/path-normal.js';

/** Room ids appear in Redis hash tags, cookie names and URLs, so they are kept plain. */
const roomId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be 1-48 characters: lowercase letters, digits, "-" or "_", starting with a letter or digit');

const pathPrefix = z.string().regex(/^\/[^\s?#]*$/, 'must be a path prefix starting with "/" (no spaces, query or fragment)');

const localizedText = z.object({ vi: z.string().min(1).max(200).optional(), en: z.string().min(1).max(200).optional() }).strict();

/** A longer operator message shown to visitors (paused and closed pages), per language. */
const localizedMessage = z.object({ vi: z.string().min(1).max(1000).optional(), en: z.string().min(1).max(1000).optional() }).strict();

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, e.g. "2026-12-01T08:00:00+07:00"' });

const hostName = z
  .string()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
    'must be a lowercase host name, optionally starting with "*." (no port, no scheme)',
  );

const cidr = z.string().refine((value) => parseCidr(value) !== undefined, 'must be an IPv4 or IPv6 address or CIDR block, e.g. "203.0.113.0/24"');

/** The room modes an operator can set. */
export const ROOM_MODES = ['open', 'queue-all', 'paused', 'passthrough', 'closed'] as const;
/** How a room admits visitors: see docs/waiting-room.md and docs/configuration.md. */
export type RoomMode = (typeof ROOM_MODES)[number];

const limitOverrides = {
  maxActive: z.number().int().min(1).max(10_000_000).optional().describe("maxActive while the event is open (default: the room's)."),
  admitPerMinute: z.number().positive().max(6_000_000).optional().describe("admitPerMinute while the event is open (default: the room's)."),
  admitBurst: z.number().int().min(1).optional().describe("admitBurst while the event is open (default: the room's, or derived)."),
};

/** A scheduled opening: a pre-queue with a fair lottery at `opensAt`, then FIFO, until `closesAt`. */
export const eventSchema = z
  .object({
    id: roomId.describe('Unique id of the event within its room (used in store keys and the lottery record).'),
    preQueueFrom: instant.optional().describe('From when arrivals get the countdown page and an entry in the lottery. Default: no pre-queue.'),
    opensAt: instant.describe('When the lottery is drawn and admission starts.'),
    closesAt: instant.optional().describe('When the event ends and the room returns to its own settings.'),
    ...limitOverrides,
  })
  .strict();

/** Requests that never queue. */
export const bypassSchema = z
  .object({
    paths: z.array(pathPrefix).default([]).describe('Path prefixes that never queue (matched on whole segments).'),
    extensions: z
      .array(z.string().regex(/^[a-z0-9]{1,10}$/, 'must be a file extension without the dot, e.g. "css"'))
      .default([])
      .describe('File extensions that never queue (static assets).'),
    cidrs: z.array(cidr).default([]).describe('Client addresses that never queue (offices, support desks).'),
    secrets: z
      .array(z.string().min(24, 'must be at least 24 characters').max(200))
      .default([])
      .describe('Secrets that let a request skip the line when sent in the Sanh-Bypass header or the sanh_bypass cookie.'),
  })
  .strict();

/** Per-client limits on joining and polling. */
export const clientLimitsSchema = z
  .object({
    joinPerMinute: z.number().int().min(1).max(100_000_000).default(120).describe('Joins (new places in line) per client address per minute.'),
    statusPerMinute: z.number().int().min(1).max(100_000_000).default(120).describe('Status polls per visitor (or address, without a ticket) per minute.'),
    requestsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe(
        'Requests per admitted pass per minute on each instance: bounds what one pass copied into many clients can do (see docs/passes.md). Default: 600.',
      ),
  })
  .strict();

/** The proof-of-work challenge on join. */
export const challengeSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Ask new arrivals to solve a small puzzle before they get a place in line.'),
    difficultyBits: z.number().int().min(4).max(28).default(16).describe("Leading zero bits the puzzle's SHA-256 must have (each bit doubles the work)."),
    noScriptWaitSeconds: z.number().int().min(0).max(600).default(20).describe('Without JavaScript, how long the visitor waits instead.'),
    ttlSeconds: z.number().int().min(30).max(3_600).default(300).describe('How long a puzzle and a solved proof stay valid.'),
  })
  .strict();

/** One waiting room: which paths it protects and how many visitors it lets in. */
export const roomSchema = z
  .object({
    id: roomId.describe('Unique room id, used in headers (Sanh-Room), cookies and store keys.'),
    name: localizedText.optional().describe('Name shown on the waiting page, per language.'),
    match: z.array(pathPrefix).min(1).describe('Path prefixes this room protects. The longest matching prefix over all rooms wins.'),
    maxActive: z.number().int().min(1).max(10_000_000).describe('Admitted visitors that may be active at once.'),
    admitPerMinute: z.number().positive().max(6_000_000).describe('New visitors let in per minute (token bucket refill rate).'),
    admitBurst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Most admissions in one instant (token bucket size). Default: a tenth of admitPerMinute, at least 1.'),
    sessionIdleSeconds: z.number().int().min(10).max(86_400).default(600).describe('An admitted visitor idle this long loses the slot.'),
    noShowSeconds: z
      .number()
      .int()
      .min(5)
      .max(3_600)
      .default(60)
      .describe('How long a slot is held for a queued visitor whose turn came, before they count as a no-show.'),
    abandonAfterSeconds: z
      .number()
      .int()
      .min(90, 'must be at least 90: a waiting page asks for news every 30 s at most, and its news reaches the store in batches')
      .max(86_400)
      .default(180)
      .describe('A queued visitor whose page has not asked for news this long is skipped when their turn comes (they keep priority if they come back).'),
    hosts: z
      .array(hostName)
      .min(1)
      .optional()
      .describe('Host names this room serves ("*.example.vn" for subdomains). Default: any host. A room naming the host wins over one that does not.'),
    mode: z.enum(ROOM_MODES).default('open').describe('open, queue-all, paused, passthrough or closed.'),
    message: localizedMessage.optional().describe('Operator text shown on the paused and closed pages, per language.'),
    reopensAt: instant.optional().describe('Shown on the closed page: when the service is expected back.'),
    events: z.array(eventSchema).default([]).describe('Scheduled openings with a pre-queue and a fair lottery.'),
    bypass: bypassSchema.optional().describe('Requests that never queue.'),
    clientLimits: clientLimitsSchema.optional().describe('Per-client limits on joining and polling.'),
    challenge: challengeSchema.optional().describe('Proof-of-work challenge on join, for when bots attack.'),
    onStoreFailure: z
      .enum(['open', 'closed'])
      .default('open')
      .describe(
        'When the store is unreachable: "open" admits new visitors at this instance\'s fallback share of the rate; "closed" seats them on the waiting page.',
      ),
    fallbackShare: z
      .number()
      .positive()
      .max(1)
      .default(0.25)
      .describe('Share of admitPerMinute and maxActive each instance may admit on its own while the store is unreachable.'),
    adaptive: adaptiveSchema
      .optional()
      .describe('Adaptive admission: the admission rate goes down by itself when the origin is slow or failing, and back up when it recovers (AIMD).'),
    revokedPasses: z
      .array(z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a pass id'), until: instant }).strict())
      .max(10_000)
      .optional()
      .describe(
        'Kept by Sảnh in the live settings: staff passes revoked before their expiry (until when they would be valid at most); not for the config file.',
      ),
    autoActivation: autoActivationMarkerSchema
      .optional()
      .describe('Kept by Sảnh in the live settings while auto-activation holds the room open; not for the config file.'),
    submissions: roomSubmissionsSchema
      .optional()
      .describe('Deferrable submission routes: accepted with a receipt when the portal is busy, stored durably and forwarded at the admitted rate.'),
    template: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Path of an HTML template replacing the waiting page (placeholders such as {{position}}); relative paths are read from the config file's folder.",
      ),
    templateHtml: z
      .string()
      .optional()
      .superRefine((html, ctx) => {
        if (html === undefined) return;
        for (const problem of templateProblems(html)) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('The waiting page template itself, for library use and runtimes without files (the loader fills it from `template`).'),
  })
  .strict()
  .superRefine((room, ctx) => {
    if (room.autoActivation)
      ctx.addIssue({ code: 'custom', path: ['autoActivation'], message: 'is kept by Sảnh in the live settings (auto-activation), not set in the config file' });
    if (room.revokedPasses)
      ctx.addIssue({
        code: 'custom',
        path: ['revokedPasses'],
        message: 'is kept by Sảnh in the live settings (revoked staff passes), not set in the config file',
      });
    for (const problem of eventProblems(room.events)) ctx.addIssue({ code: 'custom', ...problem });
  });

/**
 * Problems of a room's events taken together (ids, order of instants, overlaps), each with its
 * path under the room: checked for the config file and for live changes alike.
 */
export function eventProblems(events: readonly z.output<typeof eventSchema>[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const eventIds = new Set<string>();
  const windows: { from: number; to: number; index: number }[] = [];
  events.forEach((event, index) => {
    const path = ['events', index];
    if (eventIds.has(event.id)) problems.push({ path: [...path, 'id'], message: `duplicate event id "${event.id}"` });
    eventIds.add(event.id);
    const opens = Date.parse(event.opensAt);
    const from = event.preQueueFrom ? Date.parse(event.preQueueFrom) : opens;
    const to = event.closesAt ? Date.parse(event.closesAt) : Number.POSITIVE_INFINITY;
    if (from > opens) problems.push({ path: [...path, 'preQueueFrom'], message: 'must be before opensAt' });
    if (to <= opens) problems.push({ path: [...path, 'closesAt'], message: 'must be after opensAt' });
    const overlap = windows.find((w) => from < w.to && w.from < to);
    if (overlap) problems.push({ path, message: `overlaps events[${overlap.index}]` });
    windows.push({ from, to, index });
  });
  return problems;
}

/** The whole configuration file. */
export const configSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
    rooms: z
      .array(roomSchema)
      .default(() => [roomSchema.parse({ id: 'main', match: ['/'], maxActive: 200, admitPerMinute: 600 })])
      .describe('Waiting rooms. A request matching no room passes straight through.'),
    origin: z
      .object({
        timeoutSeconds: z.number().positive().max(600).default(30).describe('Longest wait for the origin to start answering before Sảnh answers 504.'),
        pathNormalization: pathNormalizationSchema
          .optional()
          .describe(
            'How the origin reads request paths, so rooms are matched (and paths forwarded) as it reads them; default flavour strict. See docs/paths.md.',
          ),
        connections: z.number().int().min(2).max(10_000).default(256).describe('Connections to the origin at most (the pool shared by every request).'),
        reservedForAdmitted: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(
            'Origin connections only admitted visitors may use: bypass, passthrough and no-room requests share the rest. Default: a quarter of origin.connections.',
          ),
        requestBodyTimeoutSeconds: z
          .number()
          .positive()
          .max(3_600)
          .default(20)
          .describe(
            'A request body must arrive within this long, extended by a second for every requestBodyMinBytesPerSecond bytes received; else 408 and the origin request is cut.',
          ),
        requestBodyMinBytesPerSecond: z
          .number()
          .int()
          .min(0)
          .max(100_000_000)
          .default(500)
          .describe('Slowest body rate kept going past requestBodyTimeoutSeconds (0: a fixed deadline).'),
        maxBodiesPerClient: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(16)
          .describe(
            'Requests not admitted (bypass, passthrough, no room) from one client address whose bodies are still arriving at once; more get 429 with Retry-After. Admitted visitors are not counted.',
          ),
      })
      .strict()
      .superRefine((origin, ctx) => {
        if (origin.reservedForAdmitted !== undefined && origin.reservedForAdmitted >= origin.connections) {
          ctx.addIssue({ code: 'custom', path: ['reservedForAdmitted'], message: `must be less than origin.connections (${origin.connections})` });
        }
      })
      .prefault({}),
    snapshotIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(5_000)
      .default(250)
      .describe('How often each instance advances the line and refreshes its status snapshot.'),
    trustProxyHops: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .describe(
        'Proxies in front of Sảnh whose X-Forwarded-For entries are trusted for the client address (bypass CIDRs, per-client limits). 0: the socket address.',
      ),
    drafts: draftsSchema.default(() => draftsSchema.parse({})).describe('The draft-resume store: autosave, resume codes and attachments.'),
    submissions: submissionsSchema.prefault({}).describe('Store-and-forward submissions: durability, expiry, idempotency window and delivery.'),
    redis: z
      .object({
        keyPrefix: z
          .string()
          .regex(/^[A-Za-z0-9:_-]{1,32}$/)
          .default('sanh')
          .describe('Prefix of every Redis key.'),
      })
      .strict()
      .default({ keyPrefix: 'sanh' }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { delivery, expireAfter, idempotencyWindow } = config.submissions;
    if (delivery.reclaimAfter <= config.origin.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['submissions', 'delivery', 'reclaimAfter'],
        message: `must be longer than origin.timeoutSeconds (${config.origin.timeoutSeconds} s), or a delivery still waiting for the origin would be sent twice`,
      });
    }
    if (delivery.deadline > expireAfter)
      ctx.addIssue({ code: 'custom', path: ['submissions', 'delivery', 'deadline'], message: 'must not be longer than submissions.expireAfter' });
    if (idempotencyWindow > expireAfter)
      ctx.addIssue({ code: 'custom', path: ['submissions', 'idempotencyWindow'], message: 'must not be longer than submissions.expireAfter' });
    if (delivery.maxBackoff < delivery.initialBackoff)
      ctx.addIssue({ code: 'custom', path: ['submissions', 'delivery', 'maxBackoff'], message: 'must not be shorter than initialBackoff' });
    const ids = new Map<string, number>();
    const prefixes = new Map<string, number>();
    config.rooms.forEach((room, index) => {
      const hostsKey = room.hosts ? [...room.hosts].sort().join(',') : '*';
      const seen = ids.get(room.id);
      if (seen !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['rooms', index, 'id'], message: `duplicate room id "${room.id}" (also rooms[${seen}])` });
      } else {
        ids.set(room.id, index);
      }
      const routes = new Set<string>();
      room.submissions?.routes.forEach((route, routeIndex) => {
        const path = ['rooms', index, 'submissions', 'routes', routeIndex];
        const id = `${route.method} ${route.path}`;
        if (routes.has(id)) ctx.addIssue({ code: 'custom', path, message: `duplicate route "${id}"` });
        routes.add(id);
        if (route.path === '/_sanh' || route.path.startsWith('/_sanh/'))
          ctx.addIssue({ code: 'custom', path: [...path, 'path'], message: 'the /_sanh/ prefix is reserved for Sảnh itself' });
        if (!room.match.some((prefix) => prefixCovers(prefix, route.path))) {
          ctx.addIssue({ code: 'custom', path: [...path, 'path'], message: `is not under any of the room's match prefixes (${room.match.join(', ')})` });
        }
      });
      room.match.forEach((prefix, matchIndex) => {
        const owner = prefixes.get(`${hostsKey} ${prefix}`);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rooms', index, 'match', matchIndex],
            message: `prefix "${prefix}" is already matched by rooms[${owner}]`,
          });
        } else {
          prefixes.set(`${hostsKey} ${prefix}`, index);
        }
        if (prefix.startsWith('/_sanh/') || prefix === '/_sanh') {
          ctx.addIssue({ code: 'custom', path: ['rooms', index, 'match', matchIndex], message: 'the /_sanh/ prefix is reserved for Sảnh itself' });
        }
        const read = normalisePath(prefix, pathRules(config.origin.pathNormalization));
        if (!read.ok)
          ctx.addIssue({
            code: 'custom',
            path: ['rooms', index, 'match', matchIndex],
            message: `is not a plain path under origin.pathNormalization (${read.reason}): write it as the portal's own links do`,
          });
      });
    });
  });

/** True when a room's match prefix (whole segments) covers a route pattern's fixed start. */
function prefixCovers(prefix: string, pattern: string): boolean {
  if (prefix === '/') return true;
  const base = prefix.replace(/\/$/, '');
  return pattern === base || pattern.startsWith(`${base}/`);
}

/** The configuration file as written (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;

type ParsedConfig = z.output<typeof configSchema>;
type ParsedRoom = z.output<typeof roomSchema>;

/** A room with every default applied. */
export interface RoomConfig extends Omit<ParsedRoom, 'admitBurst'> {
  admitBurst: number;
  /**
   * The waiting-page template's HTML, which replaces Sảnh's own waiting page. `loadConfigFile`
   * reads it from `template` and checks it; a library user may set it on a parsed room, after
   * checking it with `roomTemplateProblems` (see `waiting-room/template.ts` for placeholders).
   */
  templateHtml?: string;
  /**
   * Set at run time by adaptive admission (`adaptive/controller.ts`), never in the file: the rate
   * the origin's health allows now (admissions per minute); the line admits at
   * `min(admitPerMinute, adaptivePerMinute)`.
   */
  adaptivePerMinute?: number;
  /** True when the file did not set `admitBurst` (it was derived from `admitPerMinute`, and follows it when that changes live). */
  admitBurstDerived?: true;
}

/** The validated configuration with every default applied. */
export interface SanhConfig extends Omit<ParsedConfig, 'rooms' | '$schema'> {
  rooms: RoomConfig[];
}

/** The token bucket size used when a room does not set `admitBurst`. */
export function defaultAdmitBurst(admitPerMinute: number): number {
  return Math.max(1, Math.floor(admitPerMinute / 10));
}

/** Applies defaults that depend on other fields. */
export function completeConfig(parsed: ParsedConfig): SanhConfig {
  const { $schema: _schema, ...rest } = parsed;
  return {
    ...rest,
    rooms: parsed.rooms.map((room) => ({
      ...room,
      admitBurst: room.admitBurst ?? defaultAdmitBurst(room.admitPerMinute),
      ...(room.admitBurst === undefined ? { admitBurstDerived: true as const } : {}),
    })),
  };
}
