import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A local stand-in for AWS KMS that speaks its JSON 1.1 protocol (X-Amz-Target: TrentService.*)
 * to @aws-sdk/client-kms. It supports GenerateDataKey, Decrypt, Encrypt and DescribeKey with one
 * symmetric key (and an alias), and holds to KMS's rules where they matter for security: the
 * encryption context is bound to the ciphertext (a different one is InvalidCiphertextException),
 * and Decrypt with a KeyId other than the ciphertext's key is IncorrectKeyException.
 */
export interface LocalKms {
  endpoint: string;
  keyArn: string;
  aliasName: string;
  close(): Promise<void>;
}

export interface LocalKmsOptions {
  port?: number;
  /** Where the key material is kept across restarts; in memory when absent. */
  dataDir?: string;
  region?: string;
  accountId?: string;
  aliasName?: string;
}

interface KeyMaterial {
  keyId: string;
  material: Buffer;
  createdAt: number;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const BLOB_VERSION = 1;
const KEY_ID_LENGTH = 36;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const MAX_BODY_BYTES = 1024 * 1024;

export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const aliasName = options.aliasName ?? 'alias/warehouse-connections';
  const key = await loadOrCreateKey(options.dataDir);
  const keyArn = `arn:aws:kms:${region}:${accountId}:key/${key.keyId}`;

  const resolveKeyId = (reference: unknown): KeyMaterial => {
    if (typeof reference !== 'string' || reference === '') throw new KmsError('ValidationException', 'KeyId is required');
    const names = [key.keyId, keyArn, aliasName, `arn:aws:kms:${region}:${accountId}:${aliasName}`];
    if (!names.includes(reference)) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
    return key;
  };

  const operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey: (input) => {
      const material = resolveKeyId(input.KeyId);
      const length = dataKeyLength(input);
      const plaintext = randomBytes(length);
      return {
        KeyId: keyArn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: seal(material, plaintext, context(input)).toString('base64'),
      };
    },
    Encrypt: (input) => {
      const material = resolveKeyId(input.KeyId);
      const plaintext = blob(input, 'Plaintext');
      if (plaintext.length === 0 || plaintext.length > 4096) throw new KmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
      return {
        KeyId: keyArn,
        CiphertextBlob: seal(material, plaintext, context(input)).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt: (input) => {
      const ciphertext = blob(input, 'CiphertextBlob');
      const blobKeyId = ciphertext.subarray(1, 1 + KEY_ID_LENGTH).toString('latin1');
      if (input.KeyId !== undefined && resolveKeyId(input.KeyId).keyId !== blobKeyId) {
        throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify the key used to encrypt the ciphertext');
      }
      if (blobKeyId !== key.keyId) throw new KmsError('InvalidCiphertextException', '');
      return {
        KeyId: keyArn,
        Plaintext: open(key, ciphertext, context(input)).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    DescribeKey: (input) => {
      const material = resolveKeyId(input.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: accountId,
          KeyId: material.keyId,
          Arn: keyArn,
          CreationDate: material.createdAt / 1000,
          Enabled: true,
          Description: 'warehouse-connections local key',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyState: 'Enabled',
          Origin: 'AWS_KMS',
          KeyManager: 'CUSTOMER',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          MultiRegion: false,
        },
      };
    },
  };

  const server = createServer((request, response) => {
    handle(request, response, operations).catch(() => reply(response, 500, { __type: 'KMSInternalException', message: 'Internal error' }));
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyArn,
    aliasName,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>>,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = operations[target.replace(/^TrentService\./, '')];
  const body = await readBody(request);
  try {
    if (request.method !== 'POST' || !target.startsWith('TrentService.') || !operation) {
      throw new KmsError('UnknownOperationException', `Unsupported operation ${target}`);
    }
    const input = parseInput(body);
    reply(response, 200, operation(input));
  } catch (error) {
    if (error instanceof KmsError) reply(response, error.status, { __type: error.type, message: error.message });
    else throw error;
  }
}

function parseInput(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the protocol's own error
  }
  throw new KmsError('SerializationException', 'Request body is not a JSON object');
}

function dataKeyLength(input: Record<string, unknown>): number {
  if (input.KeySpec === 'AES_256') return 32;
  if (input.KeySpec === 'AES_128') return 16;
  if (
    input.KeySpec === undefined &&
    Number.isInteger(input.NumberOfBytes) &&
    (input.NumberOfBytes as number) >= 1 &&
    (input.NumberOfBytes as number) <= 1024
  ) {
    return input.NumberOfBytes as number;
  }
  throw new KmsError('ValidationException', 'Specify KeySpec (AES_256 or AES_128) or NumberOfBytes (1 to 1024)');
}

function context(input: Record<string, unknown>): Buffer {
  const value = input.EncryptionContext ?? {};
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((entry) => typeof entry !== 'string')
  ) {
    throw new KmsError('ValidationException', 'EncryptionContext must be a map of strings');
  }
  // KMS binds the context as a set: order does not matter, case does.
  const entries = Object.entries(value as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function blob(input: Record<string, unknown>, field: string): Buffer {
  const value = input[field];
  if (typeof value !== 'string') throw new KmsError('ValidationException', `${field} is required`);
  return Buffer.from(value, 'base64');
}

function seal(key: KeyMaterial, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([BLOB_VERSION]), Buffer.from(key.keyId, 'latin1'), iv, cipher.getAuthTag(), body]);
}

function open(key: KeyMaterial, ciphertext: Buffer, aad: Buffer): Buffer {
  const headerLength = 1 + KEY_ID_LENGTH + IV_LENGTH + TAG_LENGTH;
  if (ciphertext.length < headerLength || ciphertext[0] !== BLOB_VERSION) throw new KmsError('InvalidCiphertextException', '');
  const iv = ciphertext.subarray(1 + KEY_ID_LENGTH, 1 + KEY_ID_LENGTH + IV_LENGTH);
  const tag = ciphertext.subarray(1 + KEY_ID_LENGTH + IV_LENGTH, headerLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext.subarray(headerLength)), decipher.final()]);
  } catch {
    throw new KmsError('InvalidCiphertextException', '');
  }
}

async function loadOrCreateKey(dataDir: string | undefined): Promise<KeyMaterial> {
  const file = dataDir === undefined ? undefined : join(dataDir, 'kms-key.json');
  if (file) {
    try {
      const saved = JSON.parse(await readFile(file, 'utf8')) as { keyId: string; material: string; createdAt: number };
      return { keyId: saved.keyId, material: Buffer.from(saved.material, 'base64'), createdAt: saved.createdAt };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const key = { keyId: randomUUID(), material: randomBytes(32), createdAt: Date.now() };
  if (dataDir && file) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify({ keyId: key.keyId, material: key.material.toString('base64'), createdAt: key.createdAt }), {
      mode: 0o600,
    });
  }
  return key;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new KmsError('ValidationException', 'Request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function reply(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(payload) });
  response.end(payload);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
