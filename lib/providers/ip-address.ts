import { isIP } from 'node:net';

/**
 * The numeric form of IP literals, for the checks Node's BlockList cannot make: reading the IPv4
 * address an IPv6 address carries, and whether a CIDR has host bits set.
 */

/** The eight 16-bit words of an IPv6 literal (a dotted IPv4 tail included); the zone is dropped. */
export function ipv6Words(address: string): number[] {
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

/** Dotted IPv4 text from two 16-bit words. */
export function ipv4FromWords(high: number, low: number): string {
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** The address as bytes (4 for IPv4, 16 for IPv6). */
export function addressBytes(address: string): number[] {
  if (isIP(address) === 4) return address.split('.').map(Number);
  return ipv6Words(address).flatMap((word) => [word >> 8, word & 255]);
}

/** True when no bit after the first `prefix` bits is set: 10.0.0.0/8 yes, 10.0.0.1/8 no. */
export function isNetworkAddress(address: string, prefix: number): boolean {
  return addressBytes(address).every((byte, index) => {
    const kept = Math.min(8, Math.max(0, prefix - index * 8));
    return (byte & (0xff >> kept)) === 0;
  });
}
