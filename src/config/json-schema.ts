import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the configuration file, generated from the same schema that validates it. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Sảnh configuration' };
}
