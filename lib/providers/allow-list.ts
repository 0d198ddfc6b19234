import { BlockList, isIP } from 'node:net';
import { isNetworkAddress } from './ip-address.js';

/**
 * The operator's allow-list of private networks (WAREHOUSE_ALLOWED_CIDRS). An entry admits a
 * network on every port, or on one port only, so that allow-listing a VPC range for its warehouse
 * does not open every service in it to every tenant:
 *
 *   10.0.0.0/8            every port
 *   10.0.0.0/8:5432       port 5432 only
 *   fd00::/8              every port (IPv6)
 *   [fd00::/8]:5432       port 5432 only (IPv6: brackets, as in URLs)
 *
 * Parsing is strict: anything else, a prefix out of range, host bits set (10.0.0.1/8) or a port
 * outside 1-65535 is an error, so a typo fails at start-up instead of widening the guard.
 */
export interface AllowedNetwork {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  /** Undefined: every port. */
  port: number | undefined;
}

const IPV4_ENTRY = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})(?::(\d{1,5}))?$/;
const IPV6_ENTRY = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/;
const IPV6_ENTRY_WITH_PORT = /^\[([0-9A-Fa-f:.]+)\/(\d{1,3})\]:(\d{1,5})$/;

export const ALLOW_LIST_SYNTAX = 'a CIDR (10.0.0.0/8, fd00::/8), optionally with one port (10.0.0.0/8:5432, [fd00::/8]:5432)';

export class InvalidAllowListEntryError extends Error {
  override name = 'InvalidAllowListEntryError';
  constructor(entry: string, reason: string) {
    super(`Invalid CIDR in allow-list: "${entry}": ${reason}. Expected ${ALLOW_LIST_SYNTAX}.`);
  }
}

export function parseAllowedNetwork(entry: string): AllowedNetwork {
  const ipv4 = IPV4_ENTRY.exec(entry);
  const match = ipv4 ?? IPV6_ENTRY_WITH_PORT.exec(entry) ?? IPV6_ENTRY.exec(entry);
  if (!match) throw new InvalidAllowListEntryError(entry, 'not in a known form');
  const [, network = '', prefixText = '', portText] = match;
  const version = isIP(network);
  if (version !== (ipv4 ? 4 : 6)) throw new InvalidAllowListEntryError(entry, `'${network}' is not an IPv${ipv4 ? 4 : 6} address`);
  const prefix = Number(prefixText);
  const maxPrefix = version === 4 ? 32 : 128;
  if (prefix > maxPrefix) throw new InvalidAllowListEntryError(entry, `the prefix must be from 0 to ${maxPrefix}`);
  if (!isNetworkAddress(network, prefix)) throw new InvalidAllowListEntryError(entry, `host bits are set after the first ${prefix} bits`);
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (port < 1 || port > 65_535) throw new InvalidAllowListEntryError(entry, 'the port must be from 1 to 65535');
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6', port };
}

/** The parsed allow-list: which address and port pairs it admits. */
export class AllowList {
  private readonly everyPort = new BlockList();
  private readonly byPort = new Map<number, BlockList>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const { network, prefix, family, port } = parseAllowedNetwork(entry);
      let list = this.everyPort;
      if (port !== undefined) {
        list = this.byPort.get(port) ?? new BlockList();
        this.byPort.set(port, list);
      }
      list.addSubnet(network, prefix, family);
    }
  }

  admits(address: string, port: number): boolean {
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    return this.everyPort.check(address, family) || (this.byPort.get(port)?.check(address, family) ?? false);
  }
}
