import { z } from 'zod';
import { bypassSchema, defaultAdmitBurst, roomSchema, type RoomConfig } from '../config/schema.js';

/**
 * The room settings an operator may change live. Everything else (ids, paths, hosts, templates,
 * submissions, the store-failure policy) comes from the config file only, for now.
 */
export const LIVE_FIELDS = [
  'maxActive',
  'admitPerMinute',
  'admitBurst',
  'sessionIdleSeconds',
  'noShowSeconds',
  'mode',
  'message',
  'reopensAt',
  'events',
  'bypass',
  'revokedPasses',
  'clientLimits',
  'adaptive',
  'autoActivation',
] as const;
/** A live-changeable field. */
export type LiveField = (typeof LIVE_FIELDS)[number];

/** The bypass rules a room's file says, or none. */
type BypassRules = NonNullable<RoomConfig['bypass']>;

/**
 * A change to a room's bypass rules: only the rules it names (`paths`, `extensions`, `cidrs`,
 * `secrets`); the others stay as they are; `null` puts the file's back for that rule.
 */
const bypassPatchSchema = z
  .object(
    Object.fromEntries(Object.entries(bypassSchema.shape).map(([rule, schema]) => [rule, withoutDefault(schema).nullable().optional()])) as {
      [R in keyof BypassRules]: z.ZodOptional<z.ZodNullable<z.ZodType<BypassRules[R]>>>;
    },
  )
  .strict();

const fieldPatchSchema = (field: LiveField): z.ZodType =>
  (field === 'bypass' ? bypassPatchSchema : withoutDefault(roomSchema.shape[field])).nullable().optional();

/** A change to a room's live settings: any of the live fields (null: back to the file's value). */
export const settingsPatchSchema = z.object(Object.fromEntries(LIVE_FIELDS.map((field) => [field, fieldPatchSchema(field)]))).strict();

/** A field's schema without its default: a patch sets only what it names. */
function withoutDefault(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault ? withoutDefault(schema.unwrap() as z.ZodType) : schema;
}

/**
 * A room's live settings as stored: the fields an operator set, on top of the file's room. Of the
 * bypass rules, only those an operator set (so the file's secrets are never copied into the store,
 * and a rotation in the file still takes effect).
 */
export type RoomOverrides = Partial<Omit<Pick<RoomConfig, LiveField>, 'bypass'>> & { bypass?: Partial<BypassRules> };

/** Zod issues as `field.path: message` lines, as the config file's problems are named. */
export function namedProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}

/** Problems of a patch, each named by its field, as the config file's are. */
export function patchProblems(input: unknown): { patch: Record<string, unknown> } | { problems: string[] } {
  const parsed = settingsPatchSchema.safeParse(input);
  if (parsed.success) return { patch: parsed.data as Record<string, unknown> };
  return { problems: namedProblems(parsed.error.issues) };
}

/** The overrides after a patch: set fields replace, `null` removes. */
export function mergeOverrides(current: RoomOverrides, patch: Record<string, unknown>): RoomOverrides {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else if (field === 'bypass' && typeof value === 'object') next.bypass = withoutNulls({ ...current.bypass, ...value });
    else if (value !== undefined) next[field] = value;
  }
  return next as RoomOverrides;
}

/** An object without the keys set to null (a bypass rule put back to the file's). */
function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** What the file says of a room's live fields (kept at start, so overrides can be undone). */
export type FileSettings = Pick<RoomConfig, LiveField> & { admitBurstFromFile: boolean };

/** The file's live fields of a room. */
export function fileSettingsOf(room: RoomConfig, admitBurstInFile: boolean): FileSettings {
  const settings = Object.fromEntries(LIVE_FIELDS.map((field) => [field, room[field]])) as Pick<RoomConfig, LiveField>;
  return { ...settings, admitBurstFromFile: admitBurstInFile };
}

/** The effective live fields: the file's, then the overrides; admitBurst follows admitPerMinute unless someone set it. */
export function effectiveSettings(file: FileSettings, overrides: RoomOverrides): Pick<RoomConfig, LiveField> {
  const { admitBurstFromFile, ...base } = file;
  const merged = { ...base, ...overrides } as Pick<RoomConfig, LiveField>;
  if (overrides.bypass) merged.bypass = { paths: [], extensions: [], cidrs: [], secrets: [], ...base.bypass, ...overrides.bypass };
  if (overrides.admitBurst === undefined && !admitBurstFromFile) merged.admitBurst = defaultAdmitBurst(merged.admitPerMinute);
  return merged;
}

/** A room's live fields, for the API and the audit log. */
export function liveSettingsOf(room: RoomConfig): Pick<RoomConfig, LiveField> {
  return Object.fromEntries(LIVE_FIELDS.filter((field) => room[field] !== undefined).map((field) => [field, room[field]])) as Pick<RoomConfig, LiveField>;
}

/**
 * Applies effective settings to the room objects every part of Sảnh holds (the gate, the line,
 * the snapshot loop read them on every use), in place; fields the overrides no longer set go
 * back to the file's values.
 */
export function applySettings(room: RoomConfig, settings: Pick<RoomConfig, LiveField>): void {
  for (const field of LIVE_FIELDS) {
    const value = settings[field];
    if (value === undefined) delete (room as Partial<RoomConfig>)[field];
    else (room as unknown as Record<string, unknown>)[field] = value;
  }
}
