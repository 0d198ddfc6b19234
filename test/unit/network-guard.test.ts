import { describe, expect, test } from '@jest/globals';
import { parseCidrList } from '../../lib/config.js';
import { vetHost, type Lookup } from '../../lib/providers/network-guard.js';
import { ProbeFailure } from '../../lib/providers/verdict.js';

const noDns: Lookup = async () => {
  throw new Error('the guard must not resolve IP literals');
};
const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof ProbeFailure ? error.code : 'other'),
  );

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
    ['fec0::1', 'IPv6 site-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['100::1', 'IPv6 discard-only'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['3fff::1', 'IPv6 documentation (RFC 9637)'],
    ['5f00::1', 'IPv6 segment-routing SIDs'],
    ['2001:2::1', 'IPv6 benchmarking'],
    ['4000::1', 'outside global unicast 2000::/3'],
    ['1::ffff:127.0.0.1', 'loopback behind a prefix no list foresaw'],
    ['::ffff:ffff:7f00:1', 'a mapped-looking form that is not IPv4-mapped'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata in hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped RFC 1918'],
    ['::ffff:0:7f00:1', 'SIIT-translated loopback'],
    ['::ffff:0:a9fe:a9fe', 'SIIT-translated metadata'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::a9fe:a9fe', 'IPv4-compatible metadata in hex'],
    ['::10.0.0.1', 'IPv4-compatible RFC 1918'],
    ['64:ff9b::a00:1', 'NAT64 of 10.0.0.1'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['64:ff9b:1::a00:1', 'local-use NAT64'],
    ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
    ['2002:7f00:1::1', '6to4 of loopback'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ])('%s (%s)', async (address) => {
    expect(await refusal(vetHost(address, 5432, { allowedCidrs: [], lookup: noDns }))).toBe('host_not_allowed');
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '::ffff:0:808:808',
    '::8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('public %s passes', async (address) => {
    expect(await vetHost(address, 5432, { allowedCidrs: [], lookup: noDns })).toBe(address);
  });
});

describe('names are resolved by the guard and every answer must pass', () => {
  test('a name that resolves to a private address is refused', async () => {
    expect(await refusal(vetHost('db.internal.example', 5432, { allowedCidrs: [], lookup: resolvesTo('10.0.0.5') }))).toBe(
      'host_not_allowed',
    );
  });

  test('one private answer among public ones is enough to refuse', async () => {
    expect(
      await refusal(vetHost('mixed.example', 5432, { allowedCidrs: [], lookup: resolvesTo('93.184.216.34', '169.254.169.254') })),
    ).toBe('host_not_allowed');
  });

  test('the vetted address is what the caller connects to', async () => {
    expect(await vetHost('db.example', 5432, { allowedCidrs: [], lookup: resolvesTo('93.184.216.34') })).toBe('93.184.216.34');
  });

  test('a name that does not resolve is host_not_found', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await refusal(vetHost('nope.example', 5432, { allowedCidrs: [], lookup: failing }))).toBe('host_not_found');
  });

  test('localhost resolves (from the hosts file) to loopback and is refused', async () => {
    expect(await refusal(vetHost('localhost', 5432, { allowedCidrs: [] }))).toBe('host_not_allowed');
  });
});

describe('the allow-list admits private warehouses, on every port or one', () => {
  test('an allow-listed VPC range passes, a neighbouring one does not', async () => {
    const policy = { allowedCidrs: ['10.20.0.0/16'], lookup: noDns };
    expect(await vetHost('10.20.3.4', 5432, policy)).toBe('10.20.3.4');
    expect(await vetHost('10.20.3.4', 22, policy)).toBe('10.20.3.4'); // a plain CIDR means every port
    expect(await refusal(vetHost('10.21.0.1', 5432, policy))).toBe('host_not_allowed');
  });

  test('an entry with a port admits that port only', async () => {
    const policy = { allowedCidrs: ['10.20.0.0/16:5432', '[fd00::/8]:5439'], lookup: noDns };
    expect(await vetHost('10.20.3.4', 5432, policy)).toBe('10.20.3.4');
    expect(await refusal(vetHost('10.20.3.4', 5433, policy))).toBe('host_not_allowed');
    expect(await refusal(vetHost('10.20.3.4', 22, policy))).toBe('host_not_allowed');
    expect(await vetHost('fd00::5', 5439, policy)).toBe('fd00::5');
    expect(await refusal(vetHost('fd00::5', 5432, policy))).toBe('host_not_allowed');
  });

  test('the refusal names the port, so the operator knows which entry is missing', async () => {
    const failure = await vetHost('10.20.3.4', 5433, { allowedCidrs: ['10.20.0.0/16:5432'], lookup: noDns }).catch(
      (error: unknown) => error,
    );
    expect((failure as ProbeFailure).message).toMatch(/may not connect to on port 5433/);
  });

  test('allow-listing IPv4 loopback also admits its IPv4-mapped form, on the same ports', async () => {
    expect(await vetHost('::ffff:127.0.0.1', 5432, { allowedCidrs: ['127.0.0.0/8'], lookup: noDns })).toBe('::ffff:127.0.0.1');
    expect(await vetHost('::ffff:127.0.0.1', 5432, { allowedCidrs: ['127.0.0.0/8:5432'], lookup: noDns })).toBe('::ffff:127.0.0.1');
    expect(await refusal(vetHost('::ffff:127.0.0.1', 6379, { allowedCidrs: ['127.0.0.0/8:5432'], lookup: noDns }))).toBe(
      'host_not_allowed',
    );
  });

  test.each([
    '10.0.0.0',
    '10.0.0.0/33',
    'banana/8',
    '::1/129',
    '10.0.0.1/8',
    '10.0.0.0/8:0',
    '10.0.0.0/8:65536',
    '10.0.0.0/8:54x2',
    '10.0.0.0/8:',
    '10.0.0.0:5432',
    'fd00::/8:5432',
    '[fd00::/8]',
    '[10.0.0.0/8]:5432',
    '10.0.0.0/8,,10.1.0.0/16',
  ])('a malformed entry "%s" is a configuration error', (entry) => {
    expect(() => parseCidrList(entry)).toThrow(/Invalid CIDR in allow-list/);
  });

  test('an empty setting means no exceptions; well-formed entries are kept as written', () => {
    expect(parseCidrList(undefined)).toEqual([]);
    expect(parseCidrList(' ')).toEqual([]);
    expect(parseCidrList('10.0.0.0/8, ::1/128, 10.1.0.0/16:5432, [fd00::/8]:5432')).toEqual([
      '10.0.0.0/8',
      '::1/128',
      '10.1.0.0/16:5432',
      '[fd00::/8]:5432',
    ]);
  });
});
