import { InputError } from '@backstage/errors';
import type { PolicyDocument } from './report';
import { type BuiltPolicy, policySize } from './policySize';

/** Inputs of {@link buildAllowlistPolicy}. */
export interface AllowlistPolicyInput {
  /** Public egress CIDRs: NAT EIPs (as /32) and extra public ranges. */
  publicCidrs: string[];
  /** VPC ids whose requests through VPC endpoints are allowed. */
  vpcIds: string[];
  /** The broadest public CIDR accepted (defaults /16 and /32). */
  minimumPrefix?: CidrPrefixOptions;
}

/**
 * The broadest CIDR the platform accepts in an allowlist
 * (`irsa.provisioning.allowlist`). `/0` is refused whatever these say.
 */
export interface CidrPrefixOptions {
  /** Smallest IPv4 prefix length accepted, 1 to 32. Default 16. */
  minPrefixV4?: number;
  /** Smallest IPv6 prefix length accepted, 1 to 128. Default 32. */
  minPrefixV6?: number;
}

/** The platform's minimum prefix lengths when config names none. */
export const DEFAULT_MIN_PREFIX = { v4: 16, v6: 32 } as const;

function minimumPrefix(
  options: CidrPrefixOptions,
  family: 'V4' | 'V6',
): number {
  const bits = family === 'V4' ? 32 : 128;
  const value =
    options[`minPrefix${family}`] ??
    (family === 'V4' ? DEFAULT_MIN_PREFIX.v4 : DEFAULT_MIN_PREFIX.v6);
  if (!Number.isInteger(value) || value < 1 || value > bits) {
    throw new InputError(
      `irsa.provisioning.allowlist.minPrefix${family}: must be a whole number from 1 to ${bits}, got ${String(value).slice(0, 20)}`,
    );
  }
  return value;
}

// Every address, or a range broader than the platform accepts.
function prefixProblem(
  prefix: number,
  minimum: number,
  family: 'V4' | 'V6',
): string | undefined {
  if (prefix === 0)
    return 'is every address: an allowlist of it restricts nothing';
  if (prefix < minimum)
    return `prefix /${prefix} is broader than the platform's minimum /${minimum} (irsa.provisioning.allowlist.minPrefix${family})`;
  return undefined;
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

function normalizeIpv6Cidr(
  value: string,
  field: string,
  options: CidrPrefixOptions,
): string {
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
  const problem = prefixProblem(prefix, minimumPrefix(options, 'V6'), 'V6');
  if (problem) throw new InputError(`${field}: ${value} ${problem}`);
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
 * a bare address becomes /32 (or /128). `/0` is always refused, and so is a
 * prefix shorter than the platform's minimum (default /16 for IPv4, /32 for
 * IPv6). InputError names the field (`ipAllowList[0]: ...`) and the rule.
 */
export function normalizePublicCidr(
  value: string,
  field = 'ipAllowList',
  options: CidrPrefixOptions = {},
): string {
  if (typeof value === 'string' && value.includes(':'))
    return normalizeIpv6Cidr(value.trim(), field, options);
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
  const problem = prefixProblem(prefix, minimumPrefix(options, 'V4'), 'V4');
  if (problem) throw new InputError(`${field}: ${value.trim()} ${problem}`);
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
      input.publicCidrs.map((c, i) =>
        normalizePublicCidr(c, `publicCidrs[${i}]`, input.minimumPrefix),
      ),
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
