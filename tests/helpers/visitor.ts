/** Something that answers requests: `app.request` or a real HTTP `fetch` against a base URL. */
export type Requester = (path: string, init: RequestInit) => Promise<Response>;

/** A requester for a Hono app in-process. */
export function inProcess(app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }): Requester {
  return async (path, init) => app.request(path, init);
}

/** A requester over real HTTP. */
export function overHttp(baseUrl: string): Requester {
  return (path, init) => fetch(new URL(path, baseUrl), { ...init, redirect: 'manual' });
}

/** A simulated visitor with a cookie jar, as a browser keeps one. */
export class Visitor {
  readonly jar = new Map<string, string>();

  constructor(
    private readonly send: Requester,
    readonly name = 'visitor',
  ) {}

  /** Sends a request with the jar's cookies and stores what the answer sets. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size > 0) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await this.send(path, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
      if (maxAge === 'max-age=0' || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /** GET as a browser would (asks for HTML). */
  page(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers: { accept: 'text/html,application/xhtml+xml', ...headers } });
  }

  /** GET /_sanh/status as the waiting page's poller does. */
  async status(
    room?: string,
  ): Promise<{ state: string; position: number | null; ahead: number | null; etaSeconds: number | null; pollAfterSeconds: number | null; room: string }> {
    const response = await this.request(`/_sanh/status${room ? `?room=${room}` : ''}`, { headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`status answered ${response.status}: ${await response.text()}`);
    return response.json();
  }
}
