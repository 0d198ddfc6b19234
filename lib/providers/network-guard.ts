import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ProbeFailure } from './verdict.js';

/**
 * SSRF guard for hosts that customers type in. The test function runs inside our network, so by
 * default it refuses every address that is not a public unicast one: loopback, RFC 1918, link-local
 * (and the instance-metadata address), CGNAT, multicast, unspecified, documentation and reserved
 * ranges, and their IPv6 equivalents, including IPv4 embedded in IPv6. An allow-list of CIDRs
 * admits private warehouses (a VPC, the local test servers).
 *
 * The name is resolved here, every address it resolves to must pass, and the caller connects to
 * the vetted address itself, so no second DNS answer can slip in between check and connect.
 */
const FORBIDDEN_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, instance metadata 169.254.169.254
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const FORBIDDEN_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['2001::', 32], // Teredo: the IPv4 it carries is obfuscated, so refuse the range
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (includes fd00:ec2::254, the IPv6 instance metadata address)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const forbidden = new BlockList();
for (const [network, prefix] of FORBIDDEN_V4) forbidden.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of FORBIDDEN_V6) forbidden.addSubnet(network, prefix, 'ipv6');

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface NetworkPolicy {
  /** CIDRs admitted even though they are private (e.g. "10.20.0.0/16", "127.0.0.1/32"). */
  allowedCidrs: readonly string[];
  lookup?: Lookup;
}

/** Resolves `host` and returns the address to connect to, or throws a host_not_allowed / host_not_found failure. */
export async function vetHost(host: string, policy: NetworkPolicy): Promise<string> {
  const allowed = allowList(policy.allowedCidrs);
  const addresses = isIP(host) !== 0 ? [host] : await resolve(host, policy.lookup ?? systemLookup);
  const refused = addresses.filter((address) => !isPermitted(address, allowed));
  if (refused.length > 0) {
    throw new ProbeFailure(
      'host_not_allowed',
      `The host '${host}' resolves to an address the service may not connect to (private, loopback, link-local or reserved). ` +
        'Use a publicly reachable address, or ask the operator to allow-list the network.',
    );
  }
  // IPv4 first: Lambda functions reach the internet over IPv4 unless their VPC is dual-stack.
  return addresses.find((address) => isIP(address) === 4) ?? addresses[0]!;
}

export function isPermitted(address: string, allowed: BlockList): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) return isPermitted(embedded, allowed);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowed.check(address, type)) return true;
  return !forbidden.check(address, type);
}

/** IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address. */
function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const words = expandIpv6(address);
  const asIpv4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  if (zeros(0, 5) && words[5] === 0xffff) return asIpv4(words[6]!, words[7]!);
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return asIpv4(words[6]!, words[7]!); // SIIT ::ffff:0:a.b.c.d
  if (zeros(0, 6) && (words[6] !== 0 || words[7]! > 1)) return asIpv4(words[6]!, words[7]!);
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return asIpv4(words[6]!, words[7]!);
  if (words[0] === 0x2002) return asIpv4(words[1]!, words[2]!);
  return undefined;
}

function expandIpv6(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...fill, ...back];
}

function allowList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/') as [string, string];
    list.addSubnet(network, Number(prefix), isIP(network) === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

async function resolve(hostname: string, lookup: Lookup): Promise<string[]> {
  try {
    const answers = await lookup(hostname);
    if (answers.length > 0) return answers.map((answer) => answer.address);
  } catch {
    // reported below as not found; the resolver's own message is not passed on
  }
  throw new ProbeFailure('host_not_found', `The host '${hostname}' could not be resolved. Check the hostname.`);
}
