import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SigV4Error, verifySigV4, type CredentialsFor } from '../../local/sigv4.js';

/**
 * The wire formats of the AWS APIs the Redshift stand-ins speak, as the real services answer:
 * - the query protocol (STS, Redshift): a form-encoded POST (`Action=...&Version=...`), answered
 *   with `<{Action}Response><{Action}Result>...` or `<ErrorResponse><Error><Type/><Code/><Message/>`;
 * - JSON 1.1 (Redshift Serverless): `X-Amz-Target: {Service}.{Operation}`, answered with JSON or
 *   `{"__type", "message"}` and the error type in `x-amzn-ErrorType`.
 * Every request must be SigV4-signed (local/sigv4.ts, the SDK's own signer), for the right service.
 */

export interface SignedRequest {
  accessKeyId: string;
  signedHeaders: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** How the query-protocol services (STS, Redshift) name the signature errors that local/sigv4.ts names as JSON services do. */
export const QUERY_SIGNATURE_ERRORS: Record<string, string> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
};

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Verifies the request's signature for `service`; undefined (and an AWS error sent) when it fails. */
export async function verifySigned(
  request: IncomingMessage,
  body: Buffer,
  credentialsFor: CredentialsFor,
  service: string,
  refuse: (status: number, code: string, message: string) => void,
): Promise<SignedRequest | undefined> {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  try {
    const caller = await verifySigV4(
      {
        method: request.method ?? 'GET',
        path: queryAt === -1 ? url : url.slice(0, queryAt),
        query: queryAt === -1 ? '' : url.slice(queryAt + 1),
        headers: request.headersDistinct,
        body,
      },
      credentialsFor,
      { service },
    );
    return { accessKeyId: caller.accessKeyId, signedHeaders: caller.signedHeaders, headers: request.headers, body };
  } catch (error) {
    if (!(error instanceof SigV4Error)) throw error;
    refuse(error.statusCode, error.code, error.message);
    return undefined;
  }
}

export function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** `<Name>value</Name>` for each entry; nested objects become nested elements. */
export function xmlElements(fields: Record<string, string | number | boolean | Record<string, unknown> | undefined>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) =>
      typeof value === 'object' && value !== null
        ? `<${name}>${xmlElements(value as Record<string, string>)}</${name}>`
        : `<${name}>${xmlEscape(String(value))}</${name}>`,
    )
    .join('');
}

export function sendQueryResult(response: ServerResponse, namespace: string, action: string, result: Record<string, unknown>): void {
  const xml =
    `<${action}Response xmlns="${namespace}"><${action}Result>${xmlElements(result as Record<string, string>)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  response.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml) }).end(xml);
}

export function sendQueryError(response: ServerResponse, namespace: string, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const xml =
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  response.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml) }).end(xml);
}

export function sendJson11(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  response
    .writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': Buffer.byteLength(payload),
      'x-amzn-RequestId': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }),
    })
    .end(payload);
}

export function sendJson11Error(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson11(response, status, { __type: type, message }, type);
}

/** A form-encoded body as AWS reads it (`+` is a space). */
export function readForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}
