import { z } from 'zod';
import { durationField } from './duration.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The default byte budget of a room's submissions not yet delivered (`maxWaitingBytes`). */
export const DEFAULT_MAX_WAITING_BYTES = 1 * GiB;

/**
 * About how many bytes a submission of `bodyBytes` takes in the store when kept: the sealed
 * request is base64 of JSON holding the body in base64 (4/3 × 4/3), plus headers and the receipt.
 */
export function keptBytes(bodyBytes: number): number {
  return Math.ceil((bodyBytes * 16) / 9) + 4_096;
}

/**
 * A route pattern: a path where a `:name` segment matches any one segment and a final `*` matches
 * the rest (`/apply/:procedure/submit`, `/forms/*`). No query, no fragment.
 */
const routePattern = z
  .string()
  .regex(
    /^\/([A-Za-z0-9._~!$&'()+,;=@%-]+|:[A-Za-z][A-Za-z0-9_]*)?(\/([A-Za-z0-9._~!$&'()+,;=@%-]+|:[A-Za-z][A-Za-z0-9_]*))*(\/\*)?$/,
    'must be a path such as "/apply/submit", with ":name" for one segment and a final "/*" for the rest',
  );

const headerName = z
  .string()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a lower-case HTTP header name')
  .refine(
    (name) => !['host', 'connection', 'content-length', 'transfer-encoding', 'cookie', 'idempotency-key', 'sanh-bypass'].includes(name),
    'is set by Sảnh itself and cannot be listed',
  );

const cookieName = z.string().regex(/^(\*|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/, 'must be a cookie name, or "*" for every cookie');

/** One deferrable submission route of a room. */
export const submissionRouteSchema = z
  .object({
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('The method of the submission.'),
    path: routePattern.describe('The route: "/apply/submit"; ":name" matches one segment, a final "/*" the rest.'),
    defer: z
      .enum(['when-busy', 'always'])
      .default('when-busy')
      .describe(
        '"when-busy": defer only while the room is at capacity, the origin is failing or earlier submissions wait; "always": every submission is stored and forwarded.',
      ),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(32 * MiB)
      .default(1 * MiB)
      .describe('Largest body accepted, in bytes (larger: 413).'),
    headers: z
      .array(headerName)
      .default(['content-type', 'accept', 'accept-language', 'authorization', 'user-agent', 'referer', 'origin'])
      .describe('Request headers stored and carried to the origin (Content-Type is always carried).'),
    cookies: z.array(cookieName).default(['*']).describe('Cookies carried to the origin ("*": all but Sảnh\'s own).'),
    sessionCookies: z
      .array(cookieName.refine((name) => name !== '*', 'must name a cookie'))
      .default([])
      .describe(
        "The portal's session cookies: with the client address, they tell whose a submission key is (cookies every visitor shares, or that change on every answer, must not be listed).",
      ),
    deliveredStatuses: z
      .array(z.string().regex(/^([23]xx|[23]\d\d)$/, 'must be "2xx", "3xx" or a 2xx/3xx status such as "303"'))
      .min(1)
      .default(['2xx', '3xx'])
      .describe(
        'Origin answers that mean the submission was filed; any other 2xx/3xx (a redirect to the login page after the session expired) counts as refused.',
      ),
    applicationNumberHeader: headerName
      .default('sanh-application-number')
      .describe('Response header in which the portal names its own application number (shown on the receipt).'),
  })
  .strict();

/** A room's deferrable submissions. */
export const roomSubmissionsSchema = z
  .object({
    routes: z.array(submissionRouteSchema).min(1).describe('Deferrable submission routes.'),
    deliverPerMinute: z
      .number()
      .positive()
      .max(6_000_000)
      .optional()
      .describe("Deferred submissions forwarded to the origin per minute, over all instances. Default: the room's admitPerMinute."),
    deliverBurst: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('Most deliveries in one instant. Default: a twentieth of deliverPerMinute, at least 1.'),
    maxWaiting: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(100_000)
      .describe('Most submissions of the room kept and not yet delivered; past it new ones are refused (503) rather than kept.'),
    maxWaitingBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(256 * GiB)
      .default(DEFAULT_MAX_WAITING_BYTES)
      .describe(
        "Most bytes the room's submissions not yet delivered may take in the store (each counts its sealed request, about 1.8 times its body, plus 512 bytes); past it new ones are refused (503, the citizen's form kept) rather than kept. Default 1 GiB.",
      ),
  })
  .strict()
  .superRefine((room, ctx) => {
    room.routes.forEach((route, index) => {
      if (keptBytes(route.maxBodyBytes) > room.maxWaitingBytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', index, 'maxBodyBytes'],
          message: `a body this large takes about ${keptBytes(route.maxBodyBytes)} bytes when kept, more than the room's maxWaitingBytes (${room.maxWaitingBytes})`,
        });
      }
    });
  });

/** Store-and-forward submissions: how they are kept and delivered. */
export const submissionsSchema = z
  .object({
    durability: z
      .enum(['write', 'fsync', 'replicated'])
      .default('write')
      .describe(
        'When a 202 is sent in Redis mode: "write", once the entry is on the Redis Stream; "fsync", once Redis also confirms it reached the append-only file (WAITAOF, or appendfsync always on Redis before 7.2); "replicated", once `replicas` replicas confirm it (WAIT), and the primary\'s append-only file too where it has one. Unconfirmed in time: 503 store_not_durable.',
      ),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe(
        'With durability "replicated": how many replicas must confirm a submission before it is acknowledged (set it to the number of replicas, so any one promoted has it).',
      ),
    expireAfter: durationField(3_600, 400 * 86_400)
      .prefault('30d')
      .describe('Receipts and stored answers are deleted this long after their last change.'),
    idempotencyWindow: durationField(60, 30 * 86_400)
      .prefault('24h')
      .describe('How long an Idempotency-Key (or a draft id, or a body fingerprint) keeps giving back the same receipt.'),
    acceptPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(30)
      .describe(
        'Deferred submissions accepted per visitor per minute (their Sảnh pass or ticket, or the portal session the route names; a request with neither counts for its client address). More: 429 with Retry-After, the form kept.',
      ),
    acceptPerMinutePerAddress: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(600)
      .describe(
        'Deferred submissions accepted per client address per minute, all its visitors together: a loose ceiling, since many citizens share one address (carrier-grade NAT, a commune office). More: 429 with Retry-After, the form kept.',
      ),
    delivery: z
      .object({
        maxAttempts: z.number().int().min(1).max(1_000).default(12).describe('Delivery attempts before a submission goes to the dead letters.'),
        deadline: durationField(10, 30 * 86_400)
          .prefault('24h')
          .describe('A submission not delivered this long after it was accepted goes to the dead letters.'),
        initialBackoff: durationField(1, 3_600).prefault('2s').describe('Wait before the first retry; doubled each attempt, with jitter.'),
        maxBackoff: durationField(1, 86_400)
          .prefault('5m')
          .describe("Longest wait between two attempts (an origin's Retry-After may ask for longer, up to an hour)."),
        orderedAttempts: z
          .number()
          .int()
          .min(0)
          .max(100)
          .default(3)
          .describe(
            'While the oldest waiting submission has failed fewer times than this, nothing newer of its room is delivered (acceptance order); after, it is retried on its own.',
          ),
        reclaimAfter: durationField(2, 3_600)
          .prefault('60s')
          .describe(
            'A submission held this long by a forwarder that neither delivered it nor gave it back is reclaimed by another (XAUTOCLAIM). Must be longer than origin.timeoutSeconds.',
          ),
        concurrency: z.number().int().min(1).max(256).default(8).describe('Deliveries in flight at once, per room and instance.'),
        maxAnswerBytes: z
          .number()
          .int()
          .min(0)
          .max(4 * MiB)
          .default(256 * 1024)
          .describe('Largest origin answer kept for the citizen to view from the receipt (longer: not kept).'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The submissions section with every default applied. */
export type SubmissionsConfig = z.output<typeof submissionsSchema>;
/** A deferrable route with every default applied. */
export type SubmissionRouteConfig = z.output<typeof submissionRouteSchema>;
/** A room's submissions with every default applied. */
export type RoomSubmissionsConfig = z.output<typeof roomSubmissionsSchema>;
