import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Reads a JSON request body. snowflake-sdk labels its bodies `Content-Encoding: gzip` but compresses
 * them in a callback racing the send, so the bytes may or may not be gzipped: the magic bytes decide.
 */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  let raw = Buffer.concat(chunks);
  if (raw.length === 0) return {};
  if (raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1]) raw = gunzipSync(raw);
  const value: unknown = JSON.parse(raw.toString('utf8'));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }).end(payload);
}
