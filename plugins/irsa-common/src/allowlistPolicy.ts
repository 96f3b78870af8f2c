import { InputError } from '@backstage/errors';
import type { PolicyDocument } from './report';
import { type BuiltPolicy, policySize } from './policySize';

/** Inputs of {@link buildAllowlistPolicy}. */
export interface AllowlistPolicyInput {
  /** Public egress CIDRs: NAT EIPs (as /32) and extra public ranges. */
  publicCidrs: string[];
  /** VPC ids whose requests through VPC endpoints are allowed. */
  vpcIds: string[];
}

const IPV4_CIDR =
  /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

// aws:SourceIp only ever holds public addresses, so private, loopback,
// link-local and CGNAT ranges there match nothing (Access Analyzer flags it).
function nonPublicReason(octets: number[]): string | undefined {
  const [a, b] = octets;
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168))
    return 'a private (RFC 1918) range';
  if (a === 127) return 'a loopback range';
  if (a === 169 && b === 254) return 'a link-local range';
  if (a === 100 && b >= 64 && b <= 127) return 'a carrier-grade NAT range';
  if (a === 0) return 'the "this network" range';
  return undefined;
}

// Expands an IPv6 address to its 8 groups, or undefined when malformed.
function ipv6Groups(address: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(address) || address.split('::').length > 2)
    return undefined;
  const [head, tail] = address.split('::');
  const part = (text: string | undefined) => (text ? text.split(':') : []);
  const groups = [
    ...part(head),
    ...(tail !== undefined
      ? Array(8 - part(head).length - part(tail).length).fill('0')
      : []),
    ...part(tail),
  ];
  if (groups.length !== 8 || groups.some(g => !/^[0-9a-fA-F]{1,4}$/.test(g)))
    return undefined;
  return groups.map(g => parseInt(g, 16));
}

function normalizeIpv6Cidr(value: string, field: string): string {
  const [address, bits] = value.split('/');
  const groups = ipv6Groups(address);
  const prefix = bits === undefined ? 128 : Number(bits);
  if (
    !groups ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > 128 ||
    (bits !== undefined && !/^\d{1,3}$/.test(bits))
  ) {
    throw new InputError(
      `${field}: "${value.slice(0, 64)}" is not an IPv6 CIDR such as 2001:db8::/48`,
    );
  }
  // aws:SourceIp only sees global unicast addresses (2000::/3).
  if ((groups[0] & 0xe000) !== 0x2000) {
    throw new InputError(
      `${field}: ${value} is not a global unicast IPv6 range (2000::/3); aws:SourceIp only sees public addresses`,
    );
  }
  return `${groups.map(g => g.toString(16)).join(':')}/${prefix}`;
}

/**
 * Validates a public CIDR for `aws:SourceIp` (IPv4, or IPv6 global unicast);
 * a bare address becomes /32 (or /128).
 */
export function normalizePublicCidr(
  value: string,
  field = 'ipAllowList',
): string {
  if (typeof value === 'string' && value.includes(':'))
    return normalizeIpv6Cidr(value.trim(), field);
  const match = IPV4_CIDR.exec(String(value).trim());
  if (!match) {
    throw new InputError(
      `${field}: "${String(value).slice(0, 64)}" is not an IPv4 CIDR such as 203.0.113.7/32 (or an IPv6 one such as 2001:db8::/48)`,
    );
  }
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some(o => o > 255) || prefix > 32) {
    throw new InputError(
      `${field}: "${value.slice(0, 64)}" has an octet over 255 or a prefix over 32`,
    );
  }
  const reason = nonPublicReason(octets);
  if (reason) {
    throw new InputError(
      `${field}: ${value.trim()} is ${reason}; aws:SourceIp only sees public addresses, so traffic from inside the VPC is allowed by the VPC id instead`,
    );
  }
  return `${octets.join('.')}/${prefix}`;
}

/**
 * The "ip-block" policy: one Deny so the role's credentials work only from the
 * cluster. `...IfExists` matters: requests through interface VPC endpoints
 * carry no aws:SourceIp, and a negated condition on a missing key is true.
 * AWS services acting on the caller's behalf are exempt.
 */
export function buildAllowlistPolicy(input: AllowlistPolicyInput): BuiltPolicy {
  const cidrs = [
    ...new Set(
      input.publicCidrs.map(c => normalizePublicCidr(c, 'publicCidrs')),
    ),
  ].sort();
  const vpcs = [...new Set(input.vpcIds.map(v => v.trim()))].sort();
  for (const vpc of vpcs) {
    if (!VPC_ID.test(vpc)) {
      throw new InputError(
        `vpcIds: "${vpc.slice(0, 64)}" is not a VPC id such as vpc-0abc1234`,
      );
    }
  }
  if (cidrs.length === 0 && vpcs.length === 0) {
    throw new InputError(
      'publicCidrs: at least one public CIDR or VPC id is needed, or the policy would deny every request',
    );
  }
  const condition: NonNullable<
    PolicyDocument['Statement'][number]['Condition']
  > = {
    BoolIfExists: { 'aws:ViaAWSService': 'false' },
  };
  if (cidrs.length) condition.NotIpAddressIfExists = { 'aws:SourceIp': cidrs };
  if (vpcs.length)
    condition.StringNotEqualsIfExists = { 'aws:SourceVpc': vpcs };
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyOutsideCluster',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: condition,
      },
    ],
  };
  return { document, size: policySize(document) };
}
