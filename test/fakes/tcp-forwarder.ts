import { connect, createServer, type Socket } from 'node:net';

/** Forwards connections arriving on a loopback address to a real server and records where they arrived. */
export interface Forwarder {
  port: number;
  /** `address:port` each connection arrived at. */
  arrivals: string[];
  close(): Promise<void>;
}

/**
 * Listens on `listenAddress` (a loopback address nothing else in the suite uses) and pipes every
 * connection to `target`: a probe that reaches the target through it connected to that address.
 */
export async function startForwarder(listenAddress: string, target: { host: string; port: number }): Promise<Forwarder> {
  const arrivals: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    arrivals.push(`${inbound.localAddress}:${inbound.localPort}`);
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, listenAddress, resolve));
  return {
    port: (server.address() as { port: number }).port,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
