import { Socket } from 'node:net';

/** A raw HTTP/1.1 connection to loopback, to see exactly what a server says and when it hangs up. */
export interface RawConnection {
  send(text: string): void;
  /** Sends a whole `GET` request. */
  get(path: string): void;
  received(): string;
  closed(): boolean;
  destroy(): void;
}

export interface RawConnectionOptions {
  /** The address to connect from (any 127.0.0.0/8 address is loopback on Linux); the system's choice when absent. */
  localAddress?: string;
}

/** Opens a raw connection to `127.0.0.1:port`. */
export async function rawConnection(port: number, options: RawConnectionOptions = {}): Promise<RawConnection> {
  const socket = new Socket();
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => void (received += chunk.toString('utf8')));
  socket.on('close', () => void (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
    socket.connect({ port, host: '127.0.0.1', ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  });
  return {
    send: (text) => void socket.write(text),
    get: (path) => void socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`),
    received: () => received,
    closed: () => closed,
    destroy: () => void socket.destroy(),
  };
}
