import { BlockList, isIP } from 'node:net';

// Where a webhook may point. On AWS a URL is https and reaches a public address: the delivery
// runs inside our account, so a URL naming a private, loopback or link-local address (the
// instance metadata service at 169.254.169.254, a VPC endpoint, anything on 10/8) would let a
// registrant make our Lambda call it (SSRF). A host name is resolved and checked again at each
// delivery, not only at registration: DNS can change its answer in between (rebinding), and the
// connection is made to the address that was checked. Locally both rules are off, so a
// receiver on 127.0.0.1 works.

export interface TargetRules {
  /** Only https URLs (on AWS). */
  httpsOnly: boolean;
  /** Private, loopback and link-local addresses allowed (locally). */
  allowPrivate: boolean;
}

export class WebhookTargetRefusedError extends Error {
  override name = 'WebhookTargetRefusedError';
}

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the instance metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['64:ff9b::', 96], // NAT64 of any IPv4 address: checked as that address below
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv4-mapped or NAT64 IPv6 address stands for, if it is one. */
function embeddedIpv4(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Whether an IP address is on the public internet (not private, loopback, link-local, reserved). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  const inner = embeddedIpv4(address);
  if (inner) return isPublicAddress(inner);
  return !NOT_PUBLIC.check(address, 'ipv6');
}

/** Refuses a URL the rules do not allow, naming why; a host name is checked once resolved (`checkAddress`). */
export function checkTargetUrl(text: string, rules: TargetRules): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookTargetRefusedError('not a URL');
  }
  if (url.protocol !== 'https:' && (rules.httpsOnly || url.protocol !== 'http:')) throw new WebhookTargetRefusedError(rules.httpsOnly ? 'only https URLs are allowed' : 'only http and https URLs are allowed');
  if (url.username || url.password) throw new WebhookTargetRefusedError('a URL with credentials in it is not allowed: put a token in its path or query instead');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) checkAddress(host, rules);
  else if (!rules.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || !host.includes('.'))) {
    throw new WebhookTargetRefusedError(`${host} is not a public host name`);
  }
  return url;
}

/** Refuses an address a delivery may not connect to. */
export function checkAddress(address: string, rules: TargetRules): void {
  if (!rules.allowPrivate && !isPublicAddress(address)) throw new WebhookTargetRefusedError(`${address} is a private, loopback, link-local or reserved address`);
}
