import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy in front of the local DynamoDB or KMS that can break chosen calls: by operation
 * (the X-Amz-Target header, e.g. "DynamoDB_20120810.PutItem"), for the next N matching requests.
 * It also records every operation it forwarded and how it ended, in order.
 */
export type Fault = { kind: 'delay'; ms: number } | { kind: 'reset' } | { kind: 'server-error' } | { kind: 'throttle' };

export interface ProxiedCall {
  operation: string;
  status: number | 'reset';
  requestBody: string;
  /** Order in which upstream answers came back: for one item, the order DynamoDB applied writes. */
  completion?: number;
}

export interface FaultProxy {
  endpoint: string;
  calls: ProxiedCall[];
  /** Breaks the next `times` calls of `operation` ("*" for any). */
  inject(operation: string, fault: Fault, times?: number): void;
  clear(): void;
  close(): Promise<void>;
}

const THROTTLE_TYPES: Record<string, string> = {
  DynamoDB_20120810: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  TrentService: 'ThrottlingException',
};

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: { operation: string; fault: Fault; remaining: number }[] = [];
  const calls: ProxiedCall[] = [];
  const sockets = new Set<Socket>();
  let completions = 0;

  const takeFault = (operation: string): Fault | undefined => {
    const rule = rules.find((candidate) => candidate.remaining > 0 && (candidate.operation === '*' || candidate.operation === operation));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  };

  const server: Server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(request.headers['x-amz-target'] ?? 'unknown');
    const operation = target.split('.').pop() ?? target;
    const record: ProxiedCall = { operation, status: 0, requestBody: body.toString('utf8') };
    calls.push(record);

    const fault = takeFault(operation);
    if (fault?.kind === 'reset') {
      record.status = 'reset';
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'server-error' || fault?.kind === 'throttle') {
      const service = target.split('.')[0] ?? '';
      const type = fault.kind === 'throttle' ? (THROTTLE_TYPES[service] ?? 'ThrottlingException') : 'InternalServerError';
      record.status = fault.kind === 'throttle' ? 400 : 500;
      const payload = JSON.stringify({ __type: type, message: 'injected fault' });
      response.writeHead(record.status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(payload) });
      response.end(payload);
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (request.socket.destroyed) {
      record.status = 'reset';
      return;
    }

    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (upstreamResponse) => {
        record.status = upstreamResponse.statusCode ?? 0;
        record.completion = ++completions;
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    forwarded.end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    inject: (operation, fault, times = 1) => {
      rules.push({ operation, fault, remaining: times });
    },
    clear: () => {
      rules.length = 0;
      calls.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
