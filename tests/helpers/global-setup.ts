import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let server: RedisServer | undefined;

/**
 * One private redis-server for the whole run (tests that kill or restart Redis start their own).
 * `REDIS_URL`, when set, is used instead; tests then keep to their own key prefixes.
 */
export async function setup(project: TestProject): Promise<void> {
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return;
  }
  server = await startRedisServer();
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
