import { z } from 'zod';
import { configSchema } from './schema.js';

/** Room fields Sảnh keeps in the live settings at run time (the config file may not set them): left out for editors. */
const RUN_TIME_ROOM_FIELDS = ['autoActivation', 'revokedPasses'];

type JsonObject = Record<string, unknown>;
const objectAt = (value: unknown, key: string): JsonObject | undefined => {
  const next = typeof value === 'object' && value !== null ? (value as JsonObject)[key] : undefined;
  return typeof next === 'object' && next !== null ? (next as JsonObject) : undefined;
};

/** The JSON Schema of the configuration file, generated from the same schema that validates it. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const roomFields = objectAt(objectAt(objectAt(objectAt(schema, 'properties'), 'rooms'), 'items'), 'properties');
  for (const field of RUN_TIME_ROOM_FIELDS) delete roomFields?.[field];
  return { ...schema, title: 'Sảnh configuration' };
}
