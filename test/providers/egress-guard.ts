import net from 'node:net';

/**
 * Records every TCP connection opened while `run` runs (HTTP, TLS and raw sockets all go through
 * net.Socket#connect), so a test can check that a driver talked to the local fake and nothing
 * else: no metadata server, no OAuth token endpoint, no OCSP responder, no telemetry host.
 */
export async function watchEgress<T>(run: () => Promise<T>): Promise<{ value: T; destinations: string[] }> {
  const destinations: string[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    destinations.push(describe(args));
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  try {
    return { value: await run(), destinations };
  } finally {
    net.Socket.prototype.connect = connect;
  }
}

function describe(args: unknown[]): string {
  const [first, second] = args;
  if (Array.isArray(first)) return describe(first); // internal calls pass the normalized arguments as one array
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; port?: number; path?: string };
    return options.path ?? `${options.host ?? 'localhost'}:${options.port ?? ''}`;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    return `${typeof second === 'string' ? second : 'localhost'}:${first}`;
  return String(first);
}
