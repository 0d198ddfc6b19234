import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Verifies AWS Signature Version 4 requests (signed in the Authorization header), for local
 * stand-ins of AWS APIs: the local Lambda Invoke API, and any DynamoDB/KMS/Lambda-shaped endpoint.
 * The expected signature is computed by the SDK's own signer (@smithy/signature-v4) over the
 * request exactly as it arrived, and compared in constant time.
 *
 * Exported API
 * - `verifySigV4(request, credentialsFor, options?) → Promise<SigV4Caller>`
 *     request: `{ method, path, query?, headers, body? }` where `path` is the raw path as sent
 *     (still percent-encoded, no query), `query` the raw query string without `?`, `headers` as
 *     node:http gives them (`request.headersDistinct` keeps repeated headers apart), and `body`
 *     the raw body bytes.
 *     credentialsFor: `(accessKeyId) => { secretAccessKey } | undefined`.
 *     options: `service` and `region` to pin the credential scope (any when absent), `maxSkewMs`
 *     (default 15 minutes, as AWS), `now` (a clock, for tests).
 *     Resolves to `{ accessKeyId, service, region, signedHeaders }`; rejects with `SigV4Error`.
 * - `checkSigV4Header(headers, credentialsFor, options?) → SigV4Caller`: every check that needs no
 *     body (header syntax, known key, scope, date skew). Call it before reading a body, so an
 *     unsigned caller cannot make the server read one; `verifySigV4` repeats it.
 * - `SigV4Error`: `code` is AWS's error code (`MissingAuthenticationTokenException`,
 *     `IncompleteSignatureException`, `UnrecognizedClientException`, `InvalidSignatureException`),
 *     `statusCode` the HTTP status AWS answers with, `message` safe to send back.
 *
 * Not supported, and refused: presigned URLs (query-string signatures), the `Date` header instead
 * of `X-Amz-Date`, `UNSIGNED-PAYLOAD` and streaming (chunk-signed) payloads. An
 * `X-Amz-Content-SHA256` header must be the hash of the body actually sent.
 */
export interface SigV4Request {
  method: string;
  path: string;
  query?: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
}

export interface SigV4Secret {
  secretAccessKey: string;
}

export type CredentialsFor = (accessKeyId: string) => SigV4Secret | undefined;

export interface SigV4Options {
  service?: string;
  region?: string;
  maxSkewMs?: number;
  now?: () => number;
}

export interface SigV4Caller {
  accessKeyId: string;
  service: string;
  region: string;
  signedHeaders: string[];
}

export type SigV4ErrorCode =
  'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';

export class SigV4Error extends Error {
  override name = 'SigV4Error';
  constructor(
    readonly code: SigV4ErrorCode,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses a signature whose X-Amz-Date is more than 15 minutes from its clock. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

interface ParsedAuthorization extends SigV4Caller {
  signature: string;
  signingDate: Date;
}

export function checkSigV4Header(
  headers: SigV4Request['headers'],
  credentialsFor: CredentialsFor,
  options: SigV4Options = {},
): SigV4Caller {
  const { accessKeyId, service, region, signedHeaders } = parseAndCheck(headers, credentialsFor, options);
  return { accessKeyId, service, region, signedHeaders };
}

export async function verifySigV4(request: SigV4Request, credentialsFor: CredentialsFor, options: SigV4Options = {}): Promise<SigV4Caller> {
  const parsed = parseAndCheck(request.headers, credentialsFor, options);
  const body = request.body ?? Buffer.alloc(0);
  const declaredHash = single(request.headers['x-amz-content-sha256']);
  if (declaredHash !== undefined && declaredHash !== sha256Hex(body)) {
    // The signer would take the header's word for the body; the body sent must be the one signed.
    throw new SigV4Error('InvalidSignatureException', 'The X-Amz-Content-SHA256 header does not match the body sent.', 403);
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: credentialsFor(parsed.accessKeyId)!.secretAccessKey },
    region: parsed.region,
    service: parsed.service,
    sha256: Sha256,
    uriEscapePath: parsed.service !== 's3',
    applyChecksum: false,
  });
  const signedHeaderValues: Record<string, string> = {};
  for (const name of parsed.signedHeaders) signedHeaderValues[name] = headerValue(request.headers, name)!;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: request.path,
      query: parseQuery(request.query ?? ''),
      headers: signedHeaderValues,
      body: body.length === 0 ? undefined : body,
    },
    { signingDate: parsed.signingDate, signableHeaders: new Set(parsed.signedHeaders) },
  );
  const expected = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization));
  const sameHeaders = expected?.[1] === parsed.signedHeaders.join(';');
  if (!expected?.[2] || !sameHeaders || !timingSafeEqual(Buffer.from(expected[2], 'hex'), Buffer.from(parsed.signature, 'hex'))) {
    throw new SigV4Error(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
      403,
    );
  }
  return { accessKeyId: parsed.accessKeyId, service: parsed.service, region: parsed.region, signedHeaders: parsed.signedHeaders };
}

function parseAndCheck(headers: SigV4Request['headers'], credentialsFor: CredentialsFor, options: SigV4Options): ParsedAuthorization {
  const authorization = single(headers.authorization);
  if (authorization === undefined || !authorization.startsWith(`${ALGORITHM} `)) {
    throw new SigV4Error(
      'MissingAuthenticationTokenException',
      `Missing Authentication Token: sign the request with ${ALGORITHM} in the Authorization header.`,
      403,
    );
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const match = /^\s*(Credential|SignedHeaders|Signature)=(\S+)\s*$/.exec(part);
    if (!match || fields.has(match[1]!)) throw incomplete('Authorization must hold Credential, SignedHeaders and Signature once each.');
    fields.set(match[1]!, match[2]!);
  }
  const credential = fields.get('Credential');
  const signedHeaderList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaderList || !signature)
    throw incomplete('Authorization must hold Credential, SignedHeaders and Signature once each.');
  if (!/^[0-9a-f]{64}$/.test(signature)) throw incomplete('Signature must be 64 lower-case hex digits.');

  const [accessKeyId, scopeDate, region, service, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
    throw incomplete('Credential must be <access key>/<date>/<region>/<service>/aws4_request.');
  }
  if (options.service !== undefined && service !== options.service)
    throw invalid(`Credential should be scoped to the service '${options.service}'.`);
  if (options.region !== undefined && region !== options.region)
    throw invalid(`Credential should be scoped to the region '${options.region}'.`);

  const signedHeaders = signedHeaderList.split(';');
  const sorted = [...signedHeaders].sort();
  if (
    signedHeaders.some(
      (name, index) => name !== sorted[index] || name !== name.toLowerCase() || name === '' || signedHeaders.indexOf(name) !== index,
    )
  ) {
    throw incomplete('SignedHeaders must be the lower-case header names, sorted, each once.');
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) throw incomplete(`SignedHeaders must include '${required}'.`);
  }
  for (const name of signedHeaders) {
    if (headerValue(headers, name) === undefined) throw incomplete(`The signed header '${name}' is missing from the request.`);
  }

  const amzDate = single(headers['x-amz-date']) ?? '';
  const date = AMZ_DATE.exec(amzDate);
  if (!date) throw incomplete('X-Amz-Date must be a basic ISO 8601 UTC time (YYYYMMDDTHHMMSSZ).');
  if (amzDate.slice(0, 8) !== scopeDate) throw invalid('The Credential scope date must be the date of X-Amz-Date.');
  const signingDate = new Date(
    Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), Number(date[4]), Number(date[5]), Number(date[6])),
  );
  const now = options.now?.() ?? Date.now();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (!(Math.abs(now - signingDate.getTime()) <= maxSkewMs)) {
    throw invalid(`Signature expired: X-Amz-Date is more than ${Math.round(maxSkewMs / 60_000)} minutes from the server's time.`);
  }
  if (!credentialsFor(accessKeyId))
    throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
  return { accessKeyId, service, region, signedHeaders, signature, signingDate };
}

/** The raw query string as the signer takes it: decoded names and values, repeated names as lists. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (raw === '') return query;
  for (const pair of raw.split('&')) {
    const separator = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      // Not URLSearchParams: SigV4 encodes a space as %20, and a literal '+' must stay a '+'.
      name = decodeURIComponent(separator === -1 ? pair : pair.slice(0, separator));
      value = separator === -1 ? '' : decodeURIComponent(pair.slice(separator + 1));
    } catch {
      throw incomplete('The query string is not valid percent-encoding.');
    }
    const existing = query[name];
    query[name] = existing === undefined ? value : [existing, value].flat();
  }
  return query;
}

function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? (value.length === 0 ? undefined : value.join(',')) : value;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

function sha256Hex(body: Buffer): string {
  return body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
}

function incomplete(message: string): SigV4Error {
  return new SigV4Error('IncompleteSignatureException', message, 400);
}

function invalid(message: string): SigV4Error {
  return new SigV4Error('InvalidSignatureException', message, 403);
}
