import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AllowList } from './allow-list.js';
import { ipv4FromWords, ipv6Words } from './ip-address.js';
import { ProbeFailure } from './verdict.js';

/**
 * SSRF guard for hosts that customers type in. The test function runs inside our network, so by
 * default it admits public unicast addresses only:
 * - IPv4: everything but the IANA special-purpose blocks that are not globally reachable
 *   (loopback, RFC 1918, link-local with the instance-metadata address, CGNAT, multicast, ...);
 * - IPv6: only global unicast (2000::/3), minus the special-purpose blocks inside it that are not
 *   globally reachable. Everything outside 2000::/3 is refused, whatever it looks like, so a form
 *   no list foresaw (1::ffff:127.0.0.1, ::ffff:ffff:7f00:1) cannot pass;
 * - every IPv6 form that carries an IPv4 address (mapped, SIIT, compatible, NAT64, 6to4) only
 *   when that IPv4 address passes. Teredo hides its IPv4 addresses and lies in 2001::/23: refused.
 * The operator's allow-list (see allow-list.ts) admits private networks, on every port or one.
 *
 * The name is resolved here, every address it resolves to must pass, and the caller connects to
 * the vetted address itself, so no second DNS answer can slip in between check and connect.
 */
const NOT_GLOBAL_V4: [string, number][] = [
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

/** Inside 2000::/3, the IANA IPv6 special-purpose registry's blocks that are not globally reachable. */
const NOT_GLOBAL_IN_GLOBAL_UNICAST: [string, number][] = [
  ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID (its few anycast services are no warehouses)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // segment routing SIDs (RFC 9602)
];

const notGlobalV4 = new BlockList();
for (const [network, prefix] of NOT_GLOBAL_V4) notGlobalV4.addSubnet(network, prefix, 'ipv4');
const notGlobalV6 = new BlockList();
for (const [network, prefix] of NOT_GLOBAL_IN_GLOBAL_UNICAST) notGlobalV6.addSubnet(network, prefix, 'ipv6');

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface NetworkPolicy {
  /** Allow-list entries (allow-list.ts): "10.20.0.0/16", "10.20.0.0/16:5432", "[fd00::/8]:5432". */
  allowedCidrs: readonly string[];
  lookup?: Lookup | undefined;
}

/** The operator's network policy as a probe's limits carry it: no allow-list means public addresses only. */
export function networkPolicyOf(limits: { allowedCidrs?: readonly string[] | undefined; lookup?: Lookup | undefined }): NetworkPolicy {
  return { allowedCidrs: limits.allowedCidrs ?? [], lookup: limits.lookup };
}

/** Resolves `host` and returns the address to connect to on `port`, or throws a host_not_allowed / host_not_found failure. */
export async function vetHost(host: string, port: number, policy: NetworkPolicy): Promise<string> {
  const allowed = new AllowList(policy.allowedCidrs);
  const addresses = isIP(host) !== 0 ? [host] : await resolve(host, policy.lookup ?? systemLookup);
  const refused = addresses.filter((address) => !isPermitted(address, port, allowed));
  if (refused.length > 0) {
    throw new ProbeFailure(
      'host_not_allowed',
      `The host '${host}' resolves to an address the service may not connect to on port ${port} (private, loopback, link-local or reserved). ` +
        'Use a publicly reachable address, or ask the operator to allow-list the network and port.',
    );
  }
  // IPv4 first: Lambda functions reach the internet over IPv4 unless their VPC is dual-stack.
  return addresses.find((address) => isIP(address) === 4) ?? addresses[0]!;
}

/** Allow-listed (the address, or the IPv4 address it carries, on this port), or public. */
export function isPermitted(address: string, port: number, allowed: AllowList): boolean {
  if (isIP(address) === 0) return false;
  if (allowed.admits(address, port)) return true;
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined && allowed.admits(embedded, port)) return true;
  return isPublic(address);
}

/** Public unicast by the rules above, with no allow-list. */
export function isPublic(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return !notGlobalV4.check(address, 'ipv4');
  if (version !== 6) return false;
  const embedded = embeddedIpv4(address);
  if (embedded !== undefined) return isPublic(embedded);
  const first = ipv6Words(address)[0]!;
  const inGlobalUnicast = first >= 0x2000 && first <= 0x3fff;
  return inGlobalUnicast && !notGlobalV6.check(address, 'ipv6');
}

/**
 * The IPv4 address inside the IPv6 forms that carry one: IPv4-mapped ::ffff:0:0/96, SIIT
 * ::ffff:0:0:0/96, IPv4-compatible ::/96 (:: and ::1 read as 0.0.0.0 and 0.0.0.1, both refused),
 * NAT64 64:ff9b::/96 and 6to4 2002::/16.
 */
function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const words = ipv6Words(address);
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  const tail = () => ipv4FromWords(words[6]!, words[7]!);
  if (zeros(0, 5) && words[5] === 0xffff) return tail(); // mapped
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return tail(); // SIIT
  if (zeros(0, 6)) return tail(); // compatible
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return tail(); // NAT64
  if (words[0] === 0x2002) return ipv4FromWords(words[1]!, words[2]!); // 6to4
  return undefined;
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
