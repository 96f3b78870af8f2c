// IPv4 CIDR arithmetic for the allowlist check (aws:SourceIp is IPv4 here).

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (
    parts.length !== 4 ||
    parts.some(p => !Number.isInteger(p) || p < 0 || p > 255)
  ) {
    return undefined;
  }
  return (
    ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]
  );
}

/** True when `ip` (an address or a /32) lies inside `cidr`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const network = toNumber(base);
  const address = toNumber(ip.split('/')[0]);
  const prefix = Number(bits);
  if (
    network === undefined ||
    address === undefined ||
    !(prefix >= 0 && prefix <= 32)
  ) {
    return false;
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (network & mask) >>> 0 === (address & mask) >>> 0;
}
