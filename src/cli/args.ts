/**
 * How `sanh` reads its command line: `node:util` `parseArgs` in strict mode, so an option it does
 * not know, a missing value or a value given to a switch is a usage error (exit code 2) in one line
 * that names the option and points to `sanh --help`.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A mistake in how `sanh` was called: one line on stderr, pointing to `sanh --help`, and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Every option `sanh` knows; which command takes which is the commands' business (see `sanh.ts`). */
export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  message: { type: 'string' },
  'message-en': { type: 'string' },
  ttl: { type: 'string' },
  note: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

/** The name of one of `sanh`'s options, without its dashes. */
export type OptionName = keyof typeof OPTIONS;

/** The options given, by name; an option not given is absent. */
export type OptionValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: true }>>['values'];

/** A command line read: the words (command, sub-command, arguments) and the options given. */
export interface CommandLine {
  /** The positional arguments in order (everything after `--` counts as one). */
  words: string[];
  /** The options given. */
  options: OptionValues;
  /** The names of the options given, in the order they first appear. */
  given: OptionName[];
}

/**
 * Reads `argv` (without node and the script). Throws UsageError, in one line naming the option,
 * for an unknown option (`--frob`, `-x`), a value option with no value (`--limit` at the end), a
 * value that looks like an option (`--message -x`: write `--message=-x`) or a value given to a
 * switch (`--json=1`).
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(argv, error));
  }
  const given = Object.keys(parsed.values).filter((name): name is OptionName => Object.hasOwn(OPTIONS, name));
  return { words: parsed.positionals, options: parsed.values, given };
}

/** `--name` for an option name. */
export function flag(name: OptionName): string {
  return `--${name}`;
}

/**
 * One line for what strict parsing refused: found again by reading `argv` leniently, token by
 * token, so the message does not depend on the wording of Node's errors (their first line is the
 * fallback).
 */
function describeParseError(argv: readonly string[], error: unknown): string {
  const fallback = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'cannot read the command line';
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(OPTIONS, token.name)) return `unknown option ${token.rawName}`;
    const type = OPTIONS[token.name as OptionName].type;
    if (type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
    if (type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    if (type === 'string' && token.inlineValue === false && token.value.startsWith('-')) {
      return `${token.rawName} needs a value (to give one that starts with "-", write ${token.rawName}=${token.value})`;
    }
  }
  return fallback;
}
