import { describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { MAX_BODY_BYTES } from '../../lib/http/endpoint.js';
import { API_BASE_PATH } from '../../lib/routes.js';
import { GATEWAY_MAX_BODY_BYTES } from '../../local/api-gateway.js';
import { postgresBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The local gateway reads no body before the token passed and the declared length fits, and never
 * more than the API's limit (issue 10, item 10). Checked by what a raw client observes, not by
 * time: how many body bytes it had sent when the answer arrived, and whether the server cut it off.
 * A client can always push what the kernel's socket buffers hold (its send buffer and the server's
 * receive buffer) without the server reading anything, so the bounds are that much plus the
 * gateway's own allowances, read from this machine's TCP settings.
 */
const { api, transport } = useTestApi();
const http = transport('http');
const MiB = 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 'a');
const maxBufferBytes = (setting: string) => {
  try {
    return Number(readFileSync(`/proc/sys/net/ipv4/${setting}`, 'utf8').trim().split(/\s+/)[2]);
  } catch {
    return 32 * MiB;
  }
};
const KERNEL_BUFFERS = maxBufferBytes('tcp_wmem') + maxBufferBytes('tcp_rmem');
/** What a client may have sent when a gateway that reads no body answers: the buffers, and the body up to the gateway's limit plus what it drops after answering. */
const UNREAD_ALLOWANCE = KERNEL_BUFFERS + GATEWAY_MAX_BODY_BYTES + MiB;
/** Far more than any gateway that stops reading lets through. */
const HUGE = 4 * UNREAD_ALLOWANCE;

interface Observed {
  status: number;
  body: string;
  /** Body bytes the client had written when the first byte of the answer arrived. */
  sentWhenAnswered: number;
  sent: number;
  /** Whether the server closed or reset the connection while the client was still sending. */
  cutOff: boolean;
}

/** Sends `head`, then body bytes (chunked when `chunked`) until the server answers, cuts the connection, or `limit` bytes went out. */
async function sendUntilAnswered(
  head: string,
  limit: number,
  options: { chunked?: boolean; stopWhenAnswered?: boolean } = {},
): Promise<Observed> {
  const { port, hostname } = new URL(api().api.url);
  const socket: Socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  let sent = 0;
  let sentWhenAnswered: number | undefined;
  let cutOff = false;
  socket.on('data', (data: Buffer) => {
    sentWhenAnswered ??= sent;
    received += data.toString('latin1');
  });
  const closed = new Promise<void>((done) => socket.once('close', () => done()));
  socket.on('error', () => {
    cutOff = true;
  });
  socket.on('end', () => {
    cutOff = true;
  });
  socket.write(head);
  while (sent < limit && !socket.destroyed && !cutOff && !(options.stopWhenAnswered && sentWhenAnswered !== undefined)) {
    const frame = options.chunked ? Buffer.concat([Buffer.from(`${PIECE.length.toString(16)}\r\n`), PIECE, Buffer.from('\r\n')]) : PIECE;
    const flushed = socket.write(frame);
    sent += PIECE.length;
    // Each turn lets the answer in before the next piece; backpressure waits for the server to read.
    if (flushed) await new Promise((next) => setImmediate(next));
    else await Promise.race([once(socket, 'drain').catch(() => undefined), closed]);
  }
  // A chunked body that was never cut off has no end the server could answer after: nothing to wait for.
  if (!received.includes('\r\n\r\n') && !socket.destroyed && !options.chunked)
    await Promise.race([once(socket, 'data').catch(() => undefined), closed]);
  socket.destroy();
  const [statusLine = '', ...rest] = received.split('\r\n');
  return {
    status: Number(statusLine.split(' ')[1]),
    body: rest.join('\r\n').split('\r\n\r\n').slice(1).join(''),
    sentWhenAnswered: sentWhenAnswered ?? sent,
    sent,
    cutOff,
  };
}

const requestHead = (headers: Record<string, string>) =>
  `POST ${API_BASE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

describe('the local gateway checks before it reads a body', () => {
  test('a huge body without a token is answered 401 before the server read any of it, and no function runs', async () => {
    const logLines = capturedLogLines().length;
    const observed = await sendUntilAnswered(requestHead({ 'Content-Length': String(HUGE) }), HUGE, { stopWhenAnswered: true });
    expect(observed.status).toBe(401);
    expect(observed.sentWhenAnswered).toBeLessThan(KERNEL_BUFFERS + MiB);
    expect(capturedLogLines().length).toBe(logLines);
  });

  test('a declared length over the limit is answered 413 in the gateway shape before the body is read', async () => {
    const token = await api().issuer.sign({ org_id: 'org-big-body' });
    const observed = await sendUntilAnswered(requestHead({ Authorization: `Bearer ${token}`, 'Content-Length': String(HUGE) }), HUGE, {
      stopWhenAnswered: true,
    });
    expect(observed.status).toBe(413);
    expect(observed.sentWhenAnswered).toBeLessThan(KERNEL_BUFFERS + MiB);
    expect(JSON.parse(observed.body)).toMatchObject({
      message: 'Request Entity Too Large',
      code: 'payload_too_large',
      field: 'body',
      error: expect.stringContaining('64 KiB'),
    });
  });

  test('an endless chunked body is answered 413 once past the limit and the connection is cut off', async () => {
    const token = await api().issuer.sign({ org_id: 'org-chunked' });
    const observed = await sendUntilAnswered(requestHead({ Authorization: `Bearer ${token}`, 'Transfer-Encoding': 'chunked' }), HUGE, {
      chunked: true,
    });
    expect(observed.status).toBe(413);
    expect({ cutOff: observed.cutOff, sentBeforeCutOff: observed.sent <= UNREAD_ALLOWANCE + PIECE.length }).toEqual({
      cutOff: true,
      sentBeforeCutOff: true,
    });
  });

  test('bodies up to the limit still reach the function, and just over it the function answers its own 413', async () => {
    const padded = (size: number) => {
      const text = JSON.stringify(postgresBody());
      return text + ' '.repeat(size - Buffer.byteLength(text));
    };
    expect((await http.call({ org: 'org-near-limit', method: 'POST', rawBody: padded(MAX_BODY_BYTES) })).status).toBe(201);
    const justOver = await http.call({ org: 'org-near-limit', method: 'POST', rawBody: padded(GATEWAY_MAX_BODY_BYTES) });
    expect(justOver.status).toBe(413);
    expect(justOver.body).toMatchObject({ code: 'payload_too_large', meta: { organization_id: 'org-near-limit' } });
  });
});
