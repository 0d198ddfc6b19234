import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

/**
 * A loopback TCP server that accepts connections and never answers: what a driver sees behind a
 * firewall that drops packets, or in front of a hung server. Its address works for any protocol
 * (HTTP, TLS, the Postgres wire protocol), since nothing is ever read.
 */
export async function startBlackholeServer(): Promise<LoopbackServer> {
  return startLoopbackServer(() => Promise.reject(new Error('a blackhole never serves')), 'blackhole');
}
