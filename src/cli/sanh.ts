#!/usr/bin/env node
/**
 * `sanh`: the operators' command line.
 *
 * Over the admin API (SANH_ADMIN_URL, default http://127.0.0.1:9090, and SANH_ADMIN_TOKEN):
 *   sanh rooms [--json]
 *   sanh room <id> [--json]                      settings (file, overrides, in force) and live figures
 *   sanh room <id> set <field>=<value>...        e.g. maxActive=300 admitPerMinute=900; <field>=null undoes;
 *                                                values that read as JSON are sent as JSON (events, bypass, message)
 *   sanh room <id> reset                         back to the config file
 *   sanh pause|resume|queue-all|close|passthrough <id> [--message "…"] [--message-en "…"]
 *   sanh audit [--limit N] [--json]
 *   sanh pass <id> [--ttl 2h] [--note "…"] [--json]  a staff bypass pass (token and link)
 *   sanh pass <id> revoke <pass id>              stops honouring a pass before it expires
 *
 * Over the admin API when SANH_ADMIN_TOKEN is set, else straight to Redis (REDIS_URL, SANH_CONFIG:
 * key prefix, delivery deadline):
 *   sanh dead-letters list <room> [--limit N] [--json]
 *   sanh dead-letters retry <receipt id>
 *   sanh dead-letters drop <receipt id>
 *   sanh submissions backlog <room> [--json]
 *   sanh receipts find <room> <receipt number> [--json]
 *
 * Offline, with no token, Redis or network:
 *   sanh config check [FILE] [--json]             validates a config file (default SANH_CONFIG) as the service would
 *   sanh --help | help | <command> --help        the usage, on stdout
 *   sanh --version                               the package's version
 *
 * Options are read with `node:util` `parseArgs`, strictly (see `args.ts`): an unknown option, or one
 * the command does not take, is a usage error.
 *
 * Exit codes: 0 done, 1 not found / nothing to do / the config file is invalid, 2 usage or
 * configuration error.
 */
import { parseAdminTokens, type AdminToken } from '../admin/tokens.js';
import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';
import { connectRedis, parseRedisTarget, RedisTargetError, whenReady } from '../redis/connection.js';
import { deadLetterOperations, type DeadLetterOperations } from '../submissions/index.js';
import { createRedisSubmissionStore } from '../submissions/redis-store.js';
import { isFinal, type ReceiptRecord } from '../submissions/core.js';
import type { Backlog } from '../submissions/store.js';
import { flag, parseCommandLine, UsageError, type CommandLine, type OptionName, type OptionValues } from './args.js';
import { checkConfigFile, describeConfigCheck } from './config-check.js';
import { packageVersion } from './version.js';

const USAGE = `usage:
  sanh rooms [--json]
  sanh room <id> [--json]
  sanh room <id> set <field>=<value>...   any live field: maxActive, admitPerMinute, admitBurst, sessionIdleSeconds,
                                          noShowSeconds, mode, message, reopensAt, clientLimits, adaptive, events, bypass;
                                          a value that reads as JSON is sent as JSON (events='[…]'); <field>=null undoes
  sanh room <id> reset
  sanh pause|resume|queue-all|close|passthrough <id> [--message "…"] [--message-en "…"]
  sanh audit [--limit N] [--json]
  sanh pass <id> [--ttl 2h] [--note "…"] [--json]   a staff bypass pass: skips the room's line until it expires (default 8h, at most 7d)
  sanh pass <id> revoke <pass id>                   stops honouring a pass on every instance within a second
  sanh dead-letters list <room> [--limit N] [--json]
  sanh dead-letters retry <receipt id>
  sanh dead-letters drop <receipt id>
  sanh submissions backlog <room> [--json]
  sanh receipts find <room> <receipt number> [--json]
  sanh config check [FILE] [--json]   validates a config file (default $SANH_CONFIG) with the service's own loader:
                                      "ok" and its rooms, or every bad field (exit code 1); needs no token or network
  sanh --help | sanh help | sanh <command> --help   this text
  sanh --version                                    the version of Sảnh
exit codes: 0 done, 1 not found / nothing to do / invalid config file, 2 usage error or failure
environment: SANH_ADMIN_URL (default http://127.0.0.1:9090) and SANH_ADMIN_TOKEN for the admin API commands;
  dead-letters, submissions and receipts go over the admin API too when SANH_ADMIN_TOKEN is set, else straight to
  Redis with REDIS_URL and SANH_CONFIG (redis.keyPrefix, submissions.delivery.deadline)`;

/** The commands that talk to the admin API. */
const API_COMMANDS = new Set(['rooms', 'room', 'pause', 'resume', 'queue-all', 'close', 'passthrough', 'audit', 'pass']);

/** The commands that go over the admin API or straight to Redis (see `operatorCommand`), by `commandName`. */
const OPERATOR_COMMANDS = new Set(['dead-letters list', 'dead-letters retry', 'dead-letters drop', 'submissions backlog', 'receipts find']);

/** A `field=value` argument: the value as JSON when it reads as JSON (numbers, null, true), else as text. */
function assignment(word: string): [string, unknown] {
  const eq = word.indexOf('=');
  if (eq <= 0) throw new UsageError(`"${word}" is not <field>=<value>`);
  return [word.slice(0, eq), jsonOrText(word.slice(eq + 1))];
}

/** A text's JSON value when it reads as JSON, else the text itself. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const base = (process.env.SANH_ADMIN_URL || 'http://127.0.0.1:9090').replace(/\/$/, '');
  const token = process.env.SANH_ADMIN_TOKEN;
  if (!token) throw new UsageError('SANH_ADMIN_TOKEN is not set: the admin API needs a bearer token (id:scope:secret entries: give the secret)');
  let secret: string;
  try {
    secret = (parseAdminTokens(token)[0] as AdminToken).secret;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' } });
  } catch (error) {
    throw new Error(`cannot reach the admin API at ${base}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { status: response.status, body: jsonOrText(await response.text()) };
}

function apiProblem(answer: { status: number; body: unknown }): string {
  const body = answer.body as { error?: { code?: string; message?: string }; problems?: string[] };
  const problems = body?.problems ? `\n  ${body.problems.join('\n  ')}` : '';
  return `the admin API answered ${answer.status}: ${body?.error?.message ?? JSON.stringify(answer.body)}${problems}`;
}

interface RoomSummary {
  id: string;
  mode: string;
  limits: { maxActive: number; admitPerMinute: number };
  live: { active: number; waiting: number; waitForNewArrivalSeconds: number | null } | null;
}

/** A command's answer as JSON (`--json`) or as the text people read. */
function printer(json: boolean): (value: unknown, text: string) => void {
  return (value, text) => console.log(json ? JSON.stringify(value, null, 2) : text);
}

/** An argument that must be given. */
function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

/** `rooms`, `room`, `pause`…`passthrough`, `audit` and `pass`, over the admin API. */
async function apiCommand(words: string[], options: OptionValues, json: boolean, limit: number): Promise<number> {
  const [group, id, sub, ...rest] = words;
  const print = printer(json);
  let answer: { status: number; body: unknown };
  if (group === 'rooms') {
    answer = await api('/api/rooms');
    if (answer.status !== 200) throw new Error(apiProblem(answer));
    const rooms = (answer.body as { rooms: RoomSummary[] }).rooms;
    print(
      answer.body,
      rooms
        .map(
          (r) =>
            `${r.id}  ${r.mode}  active ${r.live?.active ?? '?'}/${r.limits.maxActive}  waiting ${r.live?.waiting ?? '?'}  admit ${r.limits.admitPerMinute}/min  wait for a newcomer ${r.live?.waitForNewArrivalSeconds ?? '?'} s`,
        )
        .join('\n'),
    );
    return 0;
  }
  if (group === 'audit') {
    answer = await api(`/api/audit?limit=${limit}`);
    if (answer.status !== 200) throw new Error(apiProblem(answer));
    const entries = (answer.body as { entries: { at: string; by: string; room: string; action: string; after: unknown }[] }).entries;
    print(
      answer.body,
      entries.length === 0 ? 'no changes recorded' : entries.map((e) => `${e.at}  ${e.by}  ${e.room}  ${e.action}  ${JSON.stringify(e.after)}`).join('\n'),
    );
    return 0;
  }
  const room = need(id, '<room id>');
  if (group === 'pass' && sub === 'revoke') {
    const passId = need(rest[0], '<pass id>');
    answer = await api(`/api/rooms/${room}/passes/${encodeURIComponent(passId)}`, { method: 'DELETE' });
    if (answer.status !== 200) throw new Error(apiProblem(answer));
    print(answer.body, `pass ${passId} for ${room} is revoked`);
    return 0;
  }
  if (group === 'pass' && sub !== undefined) throw new UsageError(`unknown pass command: ${sub}`);
  if (group === 'pass') {
    const { ttl, note } = options;
    answer = await api(`/api/rooms/${room}/passes`, { method: 'POST', body: JSON.stringify({ ...(ttl ? { ttl } : {}), ...(note ? { note } : {}) }) });
    if (answer.status !== 201) throw new Error(apiProblem(answer));
    const issued = answer.body as { pass: string; url: string; expiresAt: string; id: string };
    print(answer.body, `pass ${issued.id} for ${room}, valid until ${issued.expiresAt}\n  header:  Sanh-Bypass: ${issued.pass}\n  link:    ${issued.url}`);
    return 0;
  }
  if (group === 'room' && sub === undefined) {
    const [settings, figures] = await Promise.all([api(`/api/rooms/${room}/settings`), api(`/api/rooms/${room}`)]);
    if (settings.status !== 200) throw new Error(apiProblem(settings));
    print({ settings: settings.body, figures: figures.body }, JSON.stringify({ settings: settings.body, figures: figures.body }, null, 2));
    return 0;
  }
  if (group === 'room' && sub === 'set') {
    if (rest.length === 0) throw new UsageError('say what to set: sanh room <id> set maxActive=300');
    answer = await api(`/api/rooms/${room}/settings`, { method: 'PATCH', body: JSON.stringify(Object.fromEntries(rest.map(assignment))) });
  } else if (group === 'room' && sub === 'reset') {
    answer = await api(`/api/rooms/${room}/settings`, { method: 'DELETE' });
  } else if (group === 'room') {
    throw new UsageError(`unknown room command: ${sub}`);
  } else {
    const { message: vi, 'message-en': en } = options;
    const message = vi || en ? { ...(vi ? { vi } : {}), ...(en ? { en } : { ...(vi ? { en: vi } : {}) }) } : undefined;
    answer = await api(`/api/rooms/${room}/${group}`, { method: 'POST', body: JSON.stringify(message ? { message } : {}) });
  }
  if (answer.status !== 200) throw new Error(apiProblem(answer));
  const effective = (answer.body as { effective: Record<string, unknown> }).effective;
  print(
    answer.body,
    `${room}: ${Object.entries(effective)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ')}`,
  );
  return 0;
}

function describe(receipt: ReceiptRecord): string {
  const when = new Date(receipt.updatedAt).toISOString();
  const outcome = receipt.state === 'failed' ? `${receipt.failure ?? 'failed'}${receipt.problem ? ` (${receipt.problem})` : ''}` : receipt.state;
  return `${receipt.id}  ${receipt.number}  ${outcome}  attempts ${receipt.attempts}  ${when}`;
}

/** `--message` and `--message-en`, for the mode commands. */
const MESSAGE_OPTIONS: readonly OptionName[] = ['message', 'message-en'];

/** The options a command takes besides --help, --version and --json, by the command's name (see `commandName`). */
const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = {
  audit: ['limit'],
  'dead-letters list': ['limit'],
  'pass <id>': ['ttl', 'note'],
  'pause <id>': MESSAGE_OPTIONS,
  'resume <id>': MESSAGE_OPTIONS,
  'queue-all <id>': MESSAGE_OPTIONS,
  'close <id>': MESSAGE_OPTIONS,
  'passthrough <id>': MESSAGE_OPTIONS,
};

/** The options every command takes. */
const EVERYWHERE: readonly OptionName[] = ['help', 'version', 'json'];

/** Every command, by `commandName`. */
const COMMANDS = new Set([
  'rooms',
  'room <id>',
  'room <id> set',
  'room <id> reset',
  'pause <id>',
  'resume <id>',
  'queue-all <id>',
  'close <id>',
  'passthrough <id>',
  'audit',
  'pass <id>',
  'pass <id> revoke',
  ...OPERATOR_COMMANDS,
  'config check',
]);

/** A command's name as the usage writes it: `rooms`, `room <id> set`, `pass <id> revoke`, `dead-letters list`. */
function commandName(words: readonly string[]): string {
  const [group = '', second, third] = words;
  if (['dead-letters', 'submissions', 'receipts', 'config'].includes(group)) return second ? `${group} ${second}` : group;
  if (group === 'room' || group === 'pass') return third ? `${group} <id> ${third}` : `${group} <id>`;
  if (API_COMMANDS.has(group) && group !== 'rooms' && group !== 'audit') return `${group} <id>`;
  return group;
}

/**
 * Refuses an option the command does not take (`sanh rooms --ttl 2h`), naming both. An unknown
 * command is left to the command's own "unknown command" answer.
 */
function checkOptions(line: CommandLine): void {
  const name = commandName(line.words);
  if (!COMMANDS.has(name)) return;
  const takes = new Set([...EVERYWHERE, ...(COMMAND_OPTIONS[name] ?? [])]);
  const stray = line.given.find((option) => !takes.has(option));
  if (stray) throw new UsageError(`${flag(stray)} is not an option of "sanh ${name}"`);
}

/** `--limit`, when given: a positive whole number; else 100. */
function limitOf(options: OptionValues): number {
  if (options.limit === undefined) return 100;
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  return limit;
}

/** `sanh config check [FILE]`: the file named, else SANH_CONFIG; 0 valid, 1 invalid or unreadable. */
async function configCommand(words: readonly string[], json: boolean): Promise<number> {
  const [, sub, ...rest] = words;
  if (sub !== 'check') throw new UsageError(sub ? `unknown config command: ${sub}` : 'say what to do: sanh config check FILE');
  if (rest.length > 1) throw new UsageError('sanh config check takes one file');
  const file = rest[0] ?? (process.env.SANH_CONFIG || undefined);
  if (!file) throw new UsageError('say which file to check: sanh config check FILE (or set SANH_CONFIG)');
  const check = await checkConfigFile(file);
  if (!check.ok) {
    console.error(check.message);
    return 1;
  }
  printer(json)(check, describeConfigCheck(check));
  return 0;
}

/** Runs one command line; resolves to the exit code, throws UsageError (exit code 2) for a usage mistake. */
async function main(argv: readonly string[]): Promise<number> {
  const line = parseCommandLine(argv);
  const { words, options } = line;
  const [group] = words;
  if (options.help || group === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (options.version) {
    console.log(packageVersion());
    return 0;
  }
  if (!group) {
    console.log(USAGE);
    return 2;
  }
  checkOptions(line);
  const json = options.json ?? false;
  const limit = limitOf(options);
  if (group === 'config') return configCommand(words, json);
  if (API_COMMANDS.has(group)) return apiCommand(words, options, json, limit);
  if (!OPERATOR_COMMANDS.has(commandName(words))) throw new UsageError(`unknown command: ${words.join(' ')}`);
  const over = process.env.SANH_ADMIN_TOKEN ? { operations: apiOperations(), close: async () => undefined } : await redisOperations();
  try {
    return await operatorCommand(over.operations, words, json, limit);
  } finally {
    await over.close();
  }
}

/** The dead-letter, backlog and receipt operations over the admin API. */
function apiOperations(): DeadLetterOperations {
  /** The answer's body read by `read`; a 404 with the error code `none` (there is no such thing) gives `missing`. */
  async function call<T>(path: string, init: RequestInit, read: (body: unknown) => T, none?: { code: string; missing: T }): Promise<T> {
    const answer = await api(path, init);
    if (none && answer.status === 404 && (answer.body as { error?: { code?: string } })?.error?.code === none.code) return none.missing;
    if (answer.status !== 200) throw new Error(apiProblem(answer));
    return read(answer.body);
  }
  const part = encodeURIComponent;
  const notDead = { code: 'not_found', missing: false };
  return {
    list: (room, limit = 100) =>
      call(`/api/rooms/${part(room)}/dead-letters?limit=${limit}`, {}, (body) => (body as { deadLetters: ReceiptRecord[] }).deadLetters),
    retry: (receiptId) => call(`/api/dead-letters/${part(receiptId)}/retry`, { method: 'POST' }, () => true, notDead),
    drop: (receiptId) => call(`/api/dead-letters/${part(receiptId)}`, { method: 'DELETE' }, () => true, notDead),
    backlog: (room) => call(`/api/rooms/${part(room)}/backlog`, {}, (body) => (body as { backlog: Backlog }).backlog),
    findReceipt: (room, number) =>
      call<ReceiptRecord | undefined>(`/api/rooms/${part(room)}/receipts?number=${part(number)}`, {}, (body) => (body as { receipt: ReceiptRecord }).receipt, {
        code: 'receipt_not_found',
        missing: undefined,
      }),
  };
}

/** The same operations straight on Redis (REDIS_URL or REDIS_CLUSTER_NODES, SANH_CONFIG), for when no admin API is at hand. */
async function redisOperations(): Promise<{ operations: DeadLetterOperations; close(): Promise<void> }> {
  let target;
  try {
    target = parseRedisTarget(process.env);
  } catch (error) {
    if (error instanceof RedisTargetError) throw new UsageError(error.message);
    throw error;
  }
  if (!target) throw new UsageError('neither SANH_ADMIN_TOKEN (the admin API) nor REDIS_URL (the dead letters live in Redis) is set');
  const config = await loadConfigFile(process.env.SANH_CONFIG || undefined);
  const client = connectRedis(target, { connectionName: 'sanh-cli' });
  client.on('error', () => undefined);
  const close = async () => {
    await client.quit().catch(() => client.disconnect());
  };
  try {
    await whenReady(client);
  } catch (error) {
    await close();
    throw error;
  }
  return { operations: deadLetterOperations(createRedisSubmissionStore({ client, keyPrefix: config.redis.keyPrefix }), config.submissions), close };
}

/** `dead-letters list|retry|drop`, `submissions backlog`, `receipts find`, over either kind of operations. */
async function operatorCommand(operations: DeadLetterOperations, words: string[], json: boolean, limit: number): Promise<number> {
  const [group, command, ...rest] = words;
  const print = printer(json);
  const key = `${group} ${command ?? ''}`;
  if (key === 'dead-letters list') {
    const dead = await operations.list(need(rest[0], '<room>'), limit);
    print(dead, dead.length === 0 ? 'no dead letters' : dead.map(describe).join('\n'));
    return 0;
  }
  if (key === 'dead-letters retry' || key === 'dead-letters drop') {
    const id = need(rest[0], '<receipt id>');
    const done = command === 'retry' ? await operations.retry(id) : await operations.drop(id);
    print({ receiptId: id, done }, done ? `${command === 'retry' ? 'queued again' : 'dropped'}: ${id}` : `not a dead letter: ${id}`);
    return done ? 0 : 1;
  }
  if (key === 'submissions backlog') {
    const room = need(rest[0], '<room>');
    const backlog = await operations.backlog(room);
    print(
      backlog,
      `${room}: ${backlog.waiting} waiting, ${backlog.delivering} being delivered, ${backlog.retrying} waiting for a retry, ${backlog.dead} dead letters`,
    );
    return 0;
  }
  if (key === 'receipts find') {
    const room = need(rest[0], '<room>');
    const number = need(rest[1], '<receipt number>');
    const receipt = await operations.findReceipt(room, number);
    if (!receipt) {
      print(null, `no receipt ${number} in room ${room}`);
      return 1;
    }
    print(receipt, `${describe(receipt)}${isFinal(receipt.state) ? '' : ' (on its way)'}`);
    return 0;
  }
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`sanh: ${error.message} (see sanh --help)`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`sanh: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
