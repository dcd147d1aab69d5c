#!/usr/bin/env node
/**
 * `sanh`: the operators' command line, until the admin API's client takes over.
 *
 *   sanh dead-letters list <room> [--limit N] [--json]
 *   sanh dead-letters retry <receipt id>
 *   sanh dead-letters drop <receipt id>
 *   sanh submissions backlog <room> [--json]
 *   sanh receipts find <room> <receipt number> [--json]
 *
 * Talks to Redis directly: REDIS_URL (required) and SANH_CONFIG (key prefix, delivery deadline).
 * Exit codes: 0 done, 1 not found / nothing to do, 2 usage or configuration error.
 */
import { loadConfigFile } from '../config/file.js';
import { ConfigError } from '../config/load.js';
import { connectRedis, whenReady } from '../redis/connection.js';
import { deadLetterOperations } from '../submissions/index.js';
import { createRedisSubmissionStore } from '../submissions/redis-store.js';
import { isFinal, type ReceiptRecord } from '../submissions/core.js';

const USAGE = `usage:
  sanh dead-letters list <room> [--limit N] [--json]
  sanh dead-letters retry <receipt id>
  sanh dead-letters drop <receipt id>
  sanh submissions backlog <room> [--json]
  sanh receipts find <room> <receipt number> [--json]
environment: REDIS_URL (required), SANH_CONFIG (the JSON config: redis.keyPrefix, submissions.delivery.deadline)`;

class UsageError extends Error {}

function describe(receipt: ReceiptRecord): string {
  const when = new Date(receipt.updatedAt).toISOString();
  const outcome = receipt.state === 'failed' ? `${receipt.failure ?? 'failed'}${receipt.problem ? ` (${receipt.problem})` : ''}` : receipt.state;
  return `${receipt.id}  ${receipt.number}  ${outcome}  attempts ${receipt.attempts}  ${when}`;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const limitAt = argv.indexOf('--limit');
  const limit = limitAt >= 0 ? Number(argv[limitAt + 1]) : 100;
  const words = argv.filter((word, i) => !word.startsWith('--') && !(limitAt >= 0 && i === limitAt + 1));
  const [group, command, ...rest] = words;
  if (!group || group === 'help' || argv.includes('--help')) {
    console.log(USAGE);
    return group ? 0 : 2;
  }
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new UsageError('REDIS_URL is not set: the dead letters live in Redis');
  const config = await loadConfigFile(process.env.SANH_CONFIG || undefined);
  const client = connectRedis(redisUrl, { connectionName: 'sanh-cli' });
  client.on('error', () => undefined);
  try {
    await whenReady(client);
    const store = createRedisSubmissionStore({ client, keyPrefix: config.redis.keyPrefix });
    const operations = deadLetterOperations(store, config.submissions);
    const need = (value: string | undefined, what: string) => {
      if (!value) throw new UsageError(`missing ${what}`);
      return value;
    };
    const print = (value: unknown, text: string) => console.log(json ? JSON.stringify(value, null, 2) : text);
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
      print(backlog, `${room}: ${backlog.waiting} waiting, ${backlog.delivering} being delivered, ${backlog.retrying} waiting for a retry, ${backlog.dead} dead letters`);
      return 0;
    }
    if (key === 'receipts find') {
      const room = need(rest[0], '<room>');
      const number = need(rest[1], '<receipt number>');
      const id = await store.findByNumber(room, number);
      const kept = id ? await store.receipt(room, id.slice(id.indexOf('.') + 1)) : undefined;
      if (!kept) {
        print(null, `no receipt ${number} in room ${room}`);
        return 1;
      }
      print(kept.receipt, `${describe(kept.receipt)}${isFinal(kept.receipt.state) ? '' : ' (on its way)'}`);
      return 0;
    }
    throw new UsageError(`unknown command: ${words.join(' ')}`);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`sanh: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
