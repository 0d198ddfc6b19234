import { request, type Agent } from 'node:http';
import { watchResponse } from '../../helpers/logs.js';

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http without fetch's guard rails, so tests can send any method, header and bytes. */
export function rawRequest(baseUrl: string, call: RawRequest, timeoutMs = 10_000, agent: Agent | false = false): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: call.method,
        path: call.path,
        // Node sends GET and DELETE bodies unframed unless told their length.
        headers: call.body ? { ...call.headers, 'content-length': String(call.body.length) } : call.headers,
        timeout: timeoutMs,
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          watchResponse(response.headers, body, { method: call.method, path: call.path, status: response.statusCode ?? 0 });
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms: ${call.method} ${call.path}`)));
    outgoing.on('error', reject);
    outgoing.end(call.body);
  });
}
