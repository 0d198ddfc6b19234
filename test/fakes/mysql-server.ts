import { createServer, type Socket } from 'node:net';

/**
 * A loopback stand-in that speaks the first steps of the MySQL client/server protocol, for what the
 * real test server cannot be made to do on demand: refuse a connection with a given error (too many
 * connections, shutting down), log the client in and then fail or never answer its query, ask for
 * the password in clear text, or ask for a local file (the "rogue server" attack on LOCAL INFILE).
 * It offers no TLS. Every byte a client sends is kept, per connection, for the tests to inspect.
 */
export interface ServerError {
  errno: number;
  sqlState: string;
}

export type StandInBehaviour =
  /** An error packet where the greeting belongs, as a server that refuses the connection sends. */
  | { refuse: ServerError }
  /** Greets, then answers the login with a switch to mysql_clear_password. */
  | { askForClearPassword: true }
  /** Greets and accepts any login; then fails every query, never answers, or asks for a file. */
  | { afterLogin: ServerError | 'never-answer' | 'ask-for-local-file' };

export interface MysqlStandIn {
  readonly port: number;
  /** What each connection's client sent, in arrival order, one entry per connection. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** Client capability flags (protocol constants). */
export const CLIENT = { LOCAL_FILES: 0x80, MULTI_STATEMENTS: 0x1_0000 } as const;

/** A file a rogue server asks for: what it would read, were the client to send it. */
export const REQUESTED_FILE = '/etc/hostname';

const CAPABILITIES =
  0x1 | // LONG_PASSWORD
  0x4 | // LONG_FLAG
  0x8 | // CONNECT_WITH_DB
  0x80 | // LOCAL_FILES: offered, so that only the client can decline it
  0x200 | // PROTOCOL_41
  0x2000 | // TRANSACTIONS
  0x8000 | // SECURE_CONNECTION
  0x1_0000 | // MULTI_STATEMENTS: offered too
  0x2_0000 | // MULTI_RESULTS
  0x8_0000; // PLUGIN_AUTH

export function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

function greeting(): Buffer {
  const u16 = (value: number) => Buffer.from([value & 0xff, (value >> 8) & 0xff]);
  const u32 = (value: number) => Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, value >>> 24]);
  const scramble = Buffer.from('abcdefghijklmnopqrst');
  return Buffer.concat([
    Buffer.from([0x0a]), // protocol version 10
    Buffer.from('5.7.0-stand-in\0'),
    u32(1), // connection id
    scramble.subarray(0, 8),
    Buffer.from([0]),
    u16(CAPABILITIES & 0xffff),
    Buffer.from([33]), // utf8_general_ci
    u16(0x0002), // autocommit
    u16(CAPABILITIES >>> 16),
    Buffer.from([21]),
    Buffer.alloc(10),
    scramble.subarray(8),
    Buffer.from([0]),
    Buffer.from('mysql_native_password\0'),
  ]);
}

const ok = () => Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);

function error({ errno, sqlState }: ServerError): Buffer {
  const code = Buffer.alloc(2);
  code.writeUInt16LE(errno);
  return Buffer.concat([Buffer.from([0xff]), code, Buffer.from(`#${sqlState}stand-in error ${errno}`)]);
}

/** Splits what arrives into packets (3-byte length, 1-byte sequence id, payload). */
function packetReader(onPacket: (sequence: number, payload: Buffer) => void) {
  let pending = Buffer.alloc(0);
  return (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUIntLE(0, 3)) {
      const length = pending.readUIntLE(0, 3);
      onPacket(pending[3]!, pending.subarray(4, 4 + length));
      pending = pending.subarray(4 + length);
    }
  };
}

export async function startMysqlStandIn(behaviour: StandInBehaviour): Promise<MysqlStandIn> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = received.push(Buffer.alloc(0)) - 1;
    socket.on('data', (chunk: Buffer) => (received[index] = Buffer.concat([received[index]!, chunk])));

    if ('refuse' in behaviour) {
      socket.end(packet(0, error(behaviour.refuse)));
      return;
    }
    socket.write(packet(0, greeting()));
    let loggedIn = false;
    let awaitingFile = false;
    socket.on(
      'data',
      packetReader((sequence, payload) => {
        if (!loggedIn) {
          loggedIn = true;
          if ('askForClearPassword' in behaviour) {
            socket.write(packet(sequence + 1, Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_clear_password\0')])));
            return;
          }
          socket.write(packet(sequence + 1, ok()));
          return;
        }
        const COM_QUIT = 0x01;
        if (payload[0] === COM_QUIT) {
          socket.end();
          return;
        }
        if (!('afterLogin' in behaviour)) return;
        const after = behaviour.afterLogin;
        if (after === 'never-answer') return;
        if (after === 'ask-for-local-file') {
          if (awaitingFile) {
            // The client's reply to the file request ends with an empty packet; then the query is done.
            if (payload.length === 0) {
              awaitingFile = false;
              socket.write(packet(sequence + 1, ok()));
            }
            return;
          }
          awaitingFile = true;
          socket.write(packet(sequence + 1, Buffer.concat([Buffer.from([0xfb]), Buffer.from(REQUESTED_FILE)])));
          return;
        }
        socket.write(packet(sequence + 1, error(after)));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The client's capability flags, from the payload of its login packet (the first it sends). */
export function clientCapabilities(login: Buffer): number {
  return login.readUInt32LE(0);
}

/** The packets a client sent, in order (sequence id and payload). */
export function sentPackets(sent: Buffer): { sequence: number; payload: Buffer }[] {
  const packets: { sequence: number; payload: Buffer }[] = [];
  packetReader((sequence, payload) => packets.push({ sequence, payload }))(sent);
  return packets;
}
