import { describe, expect, test } from '@jest/globals';
import { parseCidrList } from '../../lib/config.js';
import { vetHost, type Lookup } from '../../lib/providers/network-guard.js';
import { ProbeFailure } from '../../lib/providers/verdict.js';

const noDns: Lookup = async () => {
  throw new Error('the guard must not resolve IP literals');
};
const resolvesTo = (...addresses: string[]): Lookup => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (error instanceof ProbeFailure ? error.code : 'other'));

describe('the SSRF guard refuses every non-public address by default', () => {
  test.each([
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12'],
    ['172.31.255.255', 'RFC 1918 172.16/12, top'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback, top'],
    ['169.254.169.254', 'instance metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['198.18.0.1', 'benchmarking'],
    ['::', 'IPv6 unspecified'],
    ['::1', 'IPv6 loopback'],
    ['fd00:ec2::254', 'IPv6 instance metadata (ULA)'],
    ['fc00::1', 'IPv6 unique local'],
    ['fe80::1', 'IPv6 link-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata in hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped RFC 1918'],
    ['::ffff:0:7f00:1', 'SIIT-translated loopback'],
    ['64:ff9b:1::a00:1', 'local-use NAT64'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['64:ff9b::a00:1', 'NAT64 of 10.0.0.1'],
    ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
  ])('%s (%s)', async (address) => {
    expect(await refusal(vetHost(address, { allowedCidrs: [], lookup: noDns }))).toBe('host_not_allowed');
  });

  test.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])('public %s passes', async (address) => {
    expect(await vetHost(address, { allowedCidrs: [], lookup: noDns })).toBe(address);
  });
});

describe('names are resolved by the guard and every answer must pass', () => {
  test('a name that resolves to a private address is refused', async () => {
    expect(await refusal(vetHost('db.internal.example', { allowedCidrs: [], lookup: resolvesTo('10.0.0.5') }))).toBe('host_not_allowed');
  });

  test('one private answer among public ones is enough to refuse', async () => {
    expect(await refusal(vetHost('mixed.example', { allowedCidrs: [], lookup: resolvesTo('93.184.216.34', '169.254.169.254') }))).toBe('host_not_allowed');
  });

  test('the vetted address is what the caller connects to', async () => {
    expect(await vetHost('db.example', { allowedCidrs: [], lookup: resolvesTo('93.184.216.34') })).toBe('93.184.216.34');
  });

  test('a name that does not resolve is host_not_found', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await refusal(vetHost('nope.example', { allowedCidrs: [], lookup: failing }))).toBe('host_not_found');
  });

  test('localhost resolves (from the hosts file) to loopback and is refused', async () => {
    expect(await refusal(vetHost('localhost', { allowedCidrs: [] }))).toBe('host_not_allowed');
  });
});

describe('the allow-list admits private warehouses', () => {
  test('an allow-listed VPC range passes, a neighbouring one does not', async () => {
    const policy = { allowedCidrs: ['10.20.0.0/16'], lookup: noDns };
    expect(await vetHost('10.20.3.4', policy)).toBe('10.20.3.4');
    expect(await refusal(vetHost('10.21.0.1', policy))).toBe('host_not_allowed');
  });

  test('allow-listing IPv4 loopback also admits its IPv4-mapped form', async () => {
    expect(await vetHost('::ffff:127.0.0.1', { allowedCidrs: ['127.0.0.0/8'], lookup: noDns })).toBe('::ffff:127.0.0.1');
  });

  test.each(['10.0.0.0', '10.0.0.0/33', 'banana/8', '::1/129'])('a malformed entry "%s" is a configuration error', (entry) => {
    expect(() => parseCidrList(entry)).toThrow(/Invalid CIDR/);
  });

  test('an empty setting means no exceptions', () => {
    expect(parseCidrList(undefined)).toEqual([]);
    expect(parseCidrList(' ')).toEqual([]);
    expect(parseCidrList('10.0.0.0/8, ::1/128')).toEqual(['10.0.0.0/8', '::1/128']);
  });
});
