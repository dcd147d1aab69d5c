import type { z } from 'zod';
import { completeConfig, configSchema, type SanhConfig } from './schema.js';

/** A configuration that cannot be used; `problems` names every invalid field by its path. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Renders a schema issue path the way people write it: `rooms[0].match[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** One problem per bad field (each unknown key is a problem of its own). */
function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field`);
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Validates a configuration value; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown, source = 'configuration'): SanhConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(source, result.error.issues.flatMap(describeIssue));
  return completeConfig(result.data);
}
