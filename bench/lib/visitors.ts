/**
 * Simulated people for the scenarios that need whole visits rather than one URL: an HTTP client
 * with a cookie jar per person, and the waiting-room behaviour of Sảnh's own waiting page (wait
 * `Retry-After`, poll `/_sanh/status`, come back when admitted).
 */
import { Agent, request } from 'undici';

/** A person's cookies: name → value, as a browser would keep them for one site. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** The `Cookie` header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Keeps what `Set-Cookie` headers say (a zero or past Max-Age deletes). */
  absorb(setCookie: string | string[] | undefined): void {
    for (const line of typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const gone = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }
}

/** One answer, with how long it took. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** The answer to a request that failed on the network or timed out. */
export const NETWORK_ERROR = 0;

/** An HTTP client for many simulated people sharing a connection pool. */
export class PeopleClient {
  private readonly agent: Agent;

  constructor(
    connections = 512,
    private readonly timeoutMs = 15_000,
  ) {
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  /** Sends one request with the person's cookies and keeps the cookies it sets. Never throws. */
  async send(jar: CookieJar, method: 'GET' | 'POST', url: string, options: { accept?: string; form?: Record<string, string> } = {}): Promise<Answer> {
    const started = performance.now();
    const headers: Record<string, string> = { accept: options.accept ?? 'text/html' };
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    try {
      const answer = await request(url, { method, headers, body, dispatcher: this.agent, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await answer.body.text();
      jar.absorb(answer.headers['set-cookie']);
      return { status: answer.statusCode, headers: answer.headers, body: text, ms: performance.now() - started };
    } catch {
      return { status: NETWORK_ERROR, headers: {}, body: '', ms: performance.now() - started };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A uniformly random number in [min, max). */
export const between = (min: number, max: number) => min + Math.random() * (max - min);

/** How a person's time in line went. */
export interface LineOutcome {
  /** `admitted`: may go on; `gave-up`: stopped waiting (the `stillWaiting` check said so); `error`: the line answered an error. */
  result: 'admitted' | 'gave-up' | 'error';
  waitedMs: number;
  /** The first estimate the person was shown, and how long they had waited by then. */
  firstEstimate?: { atMs: number; etaSeconds: number };
  polls: number;
  detail?: string;
}

/** Whether an answer is Sảnh seating the person in line. */
export const isQueued = (answer: Answer) => answer.status === 503 && answer.headers['sanh-state'] === 'queued';

/**
 * Waits in line the way Sảnh's waiting page does: after `Retry-After`, polls
 * `/_sanh/status?room=` until admitted (then the caller retries its request), honouring the
 * `pollAfterSeconds` the server asks for. `base()` picks the Sảnh instance for each request;
 * the person gives up when `stillWaiting()` says no or `stop` aborts.
 */
export async function waitInLine(
  client: PeopleClient,
  jar: CookieJar,
  base: () => string,
  room: string,
  queued: Answer,
  stillWaiting: () => boolean,
  stop?: AbortSignal,
): Promise<LineOutcome> {
  const started = performance.now();
  let pollAfter = Number(queued.headers['retry-after'] ?? 2);
  let firstEstimate: LineOutcome['firstEstimate'];
  let polls = 0;
  for (;;) {
    await sleep(pollAfter * 1000 * between(0.9, 1.1), stop);
    const waitedMs = performance.now() - started;
    if (!stillWaiting() || stop?.aborted) return { result: 'gave-up', waitedMs, firstEstimate, polls };
    const answer = await client.send(jar, 'GET', `${base()}/_sanh/status?room=${room}`, { accept: 'application/json' });
    polls += 1;
    if (answer.status !== 200) return { result: 'error', waitedMs, firstEstimate, polls, detail: `status poll answered ${answer.status}` };
    const status = JSON.parse(answer.body) as { state: string; etaSeconds: number | null; pollAfterSeconds: number | null };
    if (status.state === 'admitted') return { result: 'admitted', waitedMs: performance.now() - started, firstEstimate, polls };
    if (status.state !== 'queued') return { result: 'error', waitedMs, firstEstimate, polls, detail: `status said ${status.state}` };
    if (firstEstimate === undefined && status.etaSeconds !== null) firstEstimate = { atMs: waitedMs, etaSeconds: status.etaSeconds };
    pollAfter = status.pollAfterSeconds ?? 2;
  }
}

/**
 * Starts `arrive()` at random (Poisson) times at `perSecond` on average until `untilMs`
 * (performance.now() clock); resolves when arrivals stop, not when the visits end.
 */
export async function poissonArrivals(perSecond: number, untilMs: number, arrive: () => void): Promise<void> {
  let next = performance.now();
  for (;;) {
    next += -Math.log(1 - Math.random()) * (1000 / perSecond);
    if (next >= untilMs) return;
    await sleep(Math.max(0, next - performance.now()));
    arrive();
  }
}
