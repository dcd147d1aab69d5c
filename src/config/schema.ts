import { z } from 'zod';

/** Room ids appear in Redis hash tags, cookie names and URLs, so they are kept plain. */
const roomId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be 1-48 characters: lowercase letters, digits, "-" or "_", starting with a letter or digit');

const pathPrefix = z
  .string()
  .regex(/^\/[^\s?#]*$/, 'must be a path prefix starting with "/" (no spaces, query or fragment)');

const localizedText = z
  .object({ vi: z.string().min(1).max(200).optional(), en: z.string().min(1).max(200).optional() })
  .strict();

/** One waiting room: which paths it protects and how many visitors it lets in. */
export const roomSchema = z
  .object({
    id: roomId.describe('Unique room id, used in headers (Sanh-Room), cookies and store keys.'),
    name: localizedText.optional().describe('Name shown on the waiting page, per language.'),
    match: z
      .array(pathPrefix)
      .min(1)
      .describe('Path prefixes this room protects. The longest matching prefix over all rooms wins.'),
    maxActive: z.number().int().min(1).max(10_000_000).describe('Admitted visitors that may be active at once.'),
    admitPerMinute: z.number().positive().max(6_000_000).describe('New visitors let in per minute (token bucket refill rate).'),
    admitBurst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Most admissions in one instant (token bucket size). Default: a tenth of admitPerMinute, at least 1.'),
    sessionIdleSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(600)
      .describe('An admitted visitor idle this long loses the slot.'),
    noShowSeconds: z
      .number()
      .int()
      .min(5)
      .max(3_600)
      .default(60)
      .describe('How long a slot is held for a queued visitor whose turn came, before they count as a no-show.'),
  })
  .strict();

/** The whole configuration file. */
export const configSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
    rooms: z
      .array(roomSchema)
      .default([{ id: 'main', match: ['/'], maxActive: 200, admitPerMinute: 600, sessionIdleSeconds: 600, noShowSeconds: 60 }])
      .describe('Waiting rooms. A request matching no room passes straight through.'),
    origin: z
      .object({
        timeoutSeconds: z
          .number()
          .positive()
          .max(600)
          .default(30)
          .describe('Longest wait for the origin to start answering before Sảnh answers 504.'),
      })
      .strict()
      .default({ timeoutSeconds: 30 }),
    snapshotIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(5_000)
      .default(250)
      .describe('How often each instance advances the line and refreshes its status snapshot.'),
    redis: z
      .object({ keyPrefix: z.string().regex(/^[A-Za-z0-9:_-]{1,32}$/).default('sanh').describe('Prefix of every Redis key.') })
      .strict()
      .default({ keyPrefix: 'sanh' }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Map<string, number>();
    const prefixes = new Map<string, number>();
    config.rooms.forEach((room, index) => {
      const seen = ids.get(room.id);
      if (seen !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['rooms', index, 'id'], message: `duplicate room id "${room.id}" (also rooms[${seen}])` });
      } else {
        ids.set(room.id, index);
      }
      room.match.forEach((prefix, matchIndex) => {
        const owner = prefixes.get(prefix);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rooms', index, 'match', matchIndex],
            message: `prefix "${prefix}" is already matched by rooms[${owner}]`,
          });
        } else {
          prefixes.set(prefix, index);
        }
        if (prefix.startsWith('/_sanh/') || prefix === '/_sanh') {
          ctx.addIssue({ code: 'custom', path: ['rooms', index, 'match', matchIndex], message: 'the /_sanh/ prefix is reserved for Sảnh itself' });
        }
      });
    });
  });

/** The configuration file as written (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;

type ParsedConfig = z.output<typeof configSchema>;
type ParsedRoom = z.output<typeof roomSchema>;

/** A room with every default applied. */
export interface RoomConfig extends Omit<ParsedRoom, 'admitBurst'> {
  admitBurst: number;
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
    rooms: parsed.rooms.map((room) => ({ ...room, admitBurst: room.admitBurst ?? defaultAdmitBurst(room.admitPerMinute) })),
  };
}
