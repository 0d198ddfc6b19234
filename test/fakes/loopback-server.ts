import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';

/**
 * How the server treats a new TCP connection:
 * - serve: hand it to the HTTP handler;
 * - blackhole: accept it and never read or answer (a firewall that drops packets, a hung server);
 * - reset: accept it and reset it at once (RST);
 * - refuse: stop listening, so connecting fails with ECONNREFUSED (the port stays reserved for us).
 */
export type ConnectionMode = 'serve' | 'blackhole' | 'reset' | 'refuse';

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface LoopbackServer {
  readonly port: number;
  /** http://<host>:port (127.0.0.1 unless another loopback address was asked for) */
  readonly origin: string;
  /** TCP connections accepted so far, in any mode. */
  readonly accepted: number;
  setMode(mode: ConnectionMode): Promise<void>;
  /** Waits for handlers still running (see Delays.releaseAll), then drops every connection. */
  close(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * A loopback HTTP server whose connections can be switched between serving, blackholing, resetting
 * and refusing, so one fake (one URL per test file) can play every transport failure. Every
 * response closes its connection: a client's keep-alive pool must not carry a socket from one
 * test's mode into the next.
 */
export async function startLoopbackServer(
  handler: Handler,
  initialMode: ConnectionMode = 'serve',
  host = DEFAULT_HOST,
): Promise<LoopbackServer> {
  const running = new Set<Promise<void>>();
  const http = createHttpServer((request, response) => {
    response.setHeader('Connection', 'close');
    const handled = handler(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
    running.add(handled);
    void handled.finally(() => running.delete(handled));
  });
  const sockets = new Set<Socket>();
  let mode: ConnectionMode = initialMode;
  let accepted = 0;
  const tcp = createNetServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'serve') http.emit('connection', socket);
    else if (mode === 'reset') socket.resetAndDestroy();
    // blackhole: no 'data' listener, so nothing is ever read or written
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  // Stops accepting at once; the server's 'close' only comes once held connections are gone too.
  const stopListening = () => {
    const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
    return { closed };
  };

  if (initialMode === 'refuse') throw new Error('start in another mode, then refuse');
  await listen(0);
  const address = tcp.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  const { port } = address;

  return {
    port,
    origin: `http://${host}:${port}`,
    get accepted() {
      return accepted;
    },
    async setMode(next) {
      if (next === mode) return;
      const wasRefusing = mode === 'refuse';
      mode = next;
      if (next === 'refuse') stopListening();
      else if (wasRefusing) await listen(port);
    },
    async close() {
      await Promise.allSettled([...running]);
      const { closed } = mode === 'refuse' ? { closed: Promise.resolve() } : stopListening();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Waits that a fake inserts into its answers (slow login, slow query). `releaseAll` ends them at
 * once so that a fake closing down answers what it holds instead of cutting connections, which
 * drivers would treat as a network error and retry.
 */
export class Delays {
  private readonly pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  releaseAll(): void {
    for (const done of [...this.pending]) done();
  }
}

/** What a trap received: method, path with query, and the body's size (the body itself is never kept). */
export interface TrappedRequest {
  method: string;
  url: string;
  bodyBytes: number;
}

/**
 * A listener on another loopback address (127.0.0.2 by default), standing in for a host a driver
 * must never reach: the target of a hostile redirect. It records whatever arrives.
 */
export async function startTrap(host = '127.0.0.2'): Promise<LoopbackServer & { requests: TrappedRequest[] }> {
  const requests: TrappedRequest[] = [];
  const server = await startLoopbackServer(
    async (request, response) => {
      let bodyBytes = 0;
      for await (const chunk of request) bodyBytes += (chunk as Buffer).length;
      requests.push({ method: request.method ?? '', url: request.url ?? '', bodyBytes });
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    },
    'serve',
    host,
  );
  return Object.assign(server, { requests });
}
