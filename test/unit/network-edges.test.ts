import { describe, expect, test } from '@jest/globals';
import { AllowList, InvalidAllowListEntryError, parseAllowedNetwork } from '../../lib/providers/allow-list.js';
import { addressBytes, ipv6Words, isNetworkAddress } from '../../lib/providers/ip-address.js';
import { isPermitted, isPublic, vetHost, type Lookup } from '../../lib/providers/network-guard.js';
import { ProbeFailure } from '../../lib/providers/verdict.js';

/**
 * The edges of the SSRF guard (network-guard.ts, allow-list.ts, ip-address.ts) that the address
 * tables in network-guard.test.ts did not reach. Found by mutation testing (docs/testing.md): each
 * test fails on a planted bug that every other test let through.
 */
const noDns: Lookup = async () => {
  throw new Error('the guard must not resolve IP literals');
};
const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as ProbeFailure,
  );

describe('an IPv6 address is judged by the IPv4 address it carries only in the forms that carry one', () => {
  test.each([
    ['2000::1', 'the first address of global unicast 2000::/3'],
    ['3fff:ffff::1', 'the top of 2000::/3, above the 3fff::/20 documentation block'],
    ['2606:4700::ffff:a00:1', 'global unicast whose sixth word is ffff (not IPv4-mapped)'],
    ['2606:4700::a00:1', 'global unicast with zeros in the middle (not NAT64)'],
    ['2606:ff9b::a00:1', 'global unicast whose second word is ff9b (not NAT64)'],
  ])('public %s passes (%s)', async (address) => {
    expect(await vetHost(address, 5432, { allowedCidrs: [], lookup: noDns })).toBe(address);
  });

  test.each([
    ['::1:808:808', 'zeros then 1 (not IPv4-mapped) before a public IPv4 tail'],
    ['::1:0:808:808', 'not SIIT: the fifth word is not ffff'],
    ['::ffff:1:808:808', 'not SIIT: the sixth word is not zero'],
    ['64:1::808:808', 'not NAT64: the second word is not ff9b'],
    ['64:ff9b:1::808:808', 'local-use NAT64, not the well-known prefix'],
  ])('%s is refused though its last 32 bits are public (%s)', async (address) => {
    expect((await failureOf(vetHost(address, 5432, { allowedCidrs: [], lookup: noDns })))?.code).toBe('host_not_allowed');
  });

  test('allow-listing an IPv4 network admits it inside NAT64, SIIT and 6to4 too, on the same ports', () => {
    const allowed = new AllowList(['10.0.0.0/8:5432']);
    for (const address of ['64:ff9b::a00:1', '::ffff:0:a00:1', '2002:a00:1::1']) {
      expect({ address, on5432: isPermitted(address, 5432, allowed), on22: isPermitted(address, 22, allowed) }).toEqual({
        address,
        on5432: true,
        on22: false,
      });
    }
  });

  test('something that is not an IP address is neither permitted nor public', () => {
    for (const text of ['db.example', '2abc', '2001:db8', '']) {
      expect({ text, permitted: isPermitted(text, 5432, new AllowList(['0.0.0.0/0'])), public: isPublic(text) }).toEqual({
        text,
        permitted: false,
        public: false,
      });
    }
  });
});

describe('what vetHost connects to and what it says', () => {
  test('IPv4 first: a name with IPv6 and IPv4 answers is connected over IPv4', async () => {
    expect(await vetHost('dual.example', 5432, { allowedCidrs: [], lookup: resolvesTo('2606:4700::1111', '93.184.216.34') })).toBe(
      '93.184.216.34',
    );
  });

  test('a name with only IPv6 answers is connected to its first', async () => {
    expect(await vetHost('v6.example', 5432, { allowedCidrs: [], lookup: resolvesTo('2606:4700::1111', '2606:4700::1001') })).toBe(
      '2606:4700::1111',
    );
  });

  test('a name with no answers at all is host_not_found naming the host, never an undefined address', async () => {
    const failure = await failureOf(vetHost('empty.example', 5432, { allowedCidrs: [], lookup: async () => [] }));
    expect(failure).toBeInstanceOf(ProbeFailure);
    expect({ code: failure?.code, message: failure?.message }).toEqual({
      code: 'host_not_found',
      message: "The host 'empty.example' could not be resolved. Check the hostname.",
    });
  });

  test('a refusal tells the customer what to do', async () => {
    const failure = await failureOf(vetHost('10.0.0.1', 5432, { allowedCidrs: [], lookup: noDns }));
    expect(failure?.message).toBe(
      "The host '10.0.0.1' resolves to an address the service may not connect to on port 5432 (private, loopback, link-local or reserved). " +
        'Use a publicly reachable address, or ask the operator to allow-list the network and port.',
    );
  });
});

describe('allow-list entries are read whole and exactly', () => {
  test.each([
    ['x10.0.0.0/8', 'not in a known form'],
    ['1110.0.0.0/8', "'1110.0.0.0' is not an IPv6 address"],
    ['x::1/128', 'not in a known form'],
    ['x[fd00::/8]:5432', 'not in a known form'],
    ['[fd00::/8]:5432x', 'not in a known form'],
    ['fd00::1/8', 'host bits are set after the first 8 bits'],
    ['10.0.0.2/8', 'host bits are set after the first 8 bits'],
    ['10.2.0.0/8', 'host bits are set after the first 8 bits'],
    ['10.0.0.0/8:0', 'the port must be from 1 to 65535'],
    ['10.0.0.0/33', 'the prefix must be from 0 to 32'],
    ['fd00::/129', 'the prefix must be from 0 to 128'],
    ['10.0.0.256/32', "'10.0.0.256' is not an IPv4 address"],
  ])('%j is refused: %s', (entry, reason) => {
    let error: unknown;
    try {
      parseAllowedNetwork(entry);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidAllowListEntryError);
    expect((error as Error).name).toBe('InvalidAllowListEntryError');
    expect((error as Error).message).toBe(
      `Invalid CIDR in allow-list: "${entry}": ${reason}. ` +
        'Expected a CIDR (10.0.0.0/8, fd00::/8), optionally with one port (10.0.0.0/8:5432, [fd00::/8]:5432).',
    );
  });

  test.each([
    ['10.0.0.0/8:1', { network: '10.0.0.0', prefix: 8, family: 'ipv4', port: 1 }],
    ['10.0.0.0/8:65535', { network: '10.0.0.0', prefix: 8, family: 'ipv4', port: 65_535 }],
    ['[fd00::/16]:5432', { network: 'fd00::', prefix: 16, family: 'ipv6', port: 5432 }],
    ['fd00::/128', { network: 'fd00::', prefix: 128, family: 'ipv6', port: undefined }],
  ])('%j is accepted at the edge of its range', (entry, parsed) => {
    expect(parseAllowedNetwork(entry)).toEqual(parsed);
  });
});

describe('IP literals as numbers', () => {
  test('an IPv6 address with a dotted IPv4 tail of multi-digit octets reads as its eight words', () => {
    expect(ipv6Words('::ffff:10.20.30.40')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a14, 0x1e28]);
    expect(ipv6Words('64:ff9b::192.168.100.200')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc0a8, 0x64c8]);
  });

  test('an address as bytes: 4 for IPv4, 16 for IPv6', () => {
    expect(addressBytes('10.20.30.40')).toEqual([10, 20, 30, 40]);
    expect(addressBytes('fd00::1:2')).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
  });

  test('host bits are found in every byte after the prefix, for both families', () => {
    expect([isNetworkAddress('10.0.0.0', 8), isNetworkAddress('10.0.0.2', 8), isNetworkAddress('10.2.0.0', 8)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isNetworkAddress('fd00::', 8), isNetworkAddress('fd00::2', 8), isNetworkAddress('fd00::3', 127)]).toEqual([true, false, false]);
  });
});
