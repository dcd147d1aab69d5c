import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.js';

/** The real Node entry (what `npm start` runs), from source. */
export const ENTRY = fileURLToPath(new URL('../../src/entry/node.ts', import.meta.url));
/** The repository's root (where `npm start` runs). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A JSON log line. */
export type LogLine = Record<string, unknown> & { level?: string; message?: string };

/**
 * The real Node entry in a child process of its own (one process: `node --import tsx`, so a
 * signal reaches Sảnh itself). Keeps stdout and stderr apart, line by line.
 */
export class EntryProcess {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Exit code and signal, and when the process exited (performance.now()). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  /** `command`: what to run (default: the entry from source); `npm start` for the built one. */
  constructor(env: NodeJS.ProcessEnv, command: readonly string[] = [process.execPath, '--import', 'tsx', ENTRY]) {
    const [program, ...args] = command as [string, ...string[]];
    this.child = spawn(program, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const split = (into: string[]) => {
      let buffered = '';
      return (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        into.push(...lines.filter((line) => line !== ''));
      };
    };
    this.child.stdout?.on('data', split(this.stdout));
    this.child.stderr?.on('data', split(this.stderr));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  }

  /** Every JSON line so far, from both streams. */
  logs(): LogLine[] {
    return [...this.stdout, ...this.stderr].filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
  }

  /** The first JSON line with this message, waiting up to `ms`; fails at once if the process exits. */
  async line(message: string, ms = 30_000): Promise<LogLine> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = this.logs().find((line) => line.message === message);
      if (found) return found;
      if (exited) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no "${message}" line${exited ? ' (the process exited)' : ''}:\n${[...this.stdout, ...this.stderr].join('\n')}`);
  }

  /** Waits for the "Sảnh is ready" line; its public URL. */
  async ready(): Promise<string> {
    return String((await this.line('Sảnh is ready')).url);
  }

  /** Kills it (SIGKILL) if it still runs. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Writes a JSON config file in a fresh temporary directory; its path. */
export async function configFile(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sanh-entry-'));
  const path = join(dir, 'sanh.json');
  await writeFile(path, JSON.stringify(config));
  return path;
}
