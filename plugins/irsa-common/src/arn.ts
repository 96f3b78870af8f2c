import { InputError } from '@backstage/errors';

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
// IAM names: letters, digits and +=,.@_- ; paths: / or /segments/.
const IAM_NAME = /^[A-Za-z0-9+=,.@_-]+$/;
const ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role((?:\/[\x21-\x7e]+)*\/)?([^/]+)$/;
const POLICY_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy((?:\/[\x21-\x7e]+)*\/)?([^/]+)$/;

/** The parts of an IAM role ARN. */
export interface RoleArnParts {
  partition: (typeof PARTITIONS)[number];
  accountId: string;
  /** `/` or `/segments/` */
  path: string;
  roleName: string;
}

/** The parts of a managed policy ARN. */
export interface PolicyArnParts {
  partition: (typeof PARTITIONS)[number];
  /** 12 digits, or `aws` for AWS-managed policies. */
  accountId: string;
  path: string;
  policyName: string;
  awsManaged: boolean;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value.slice(0, 120)}"` : typeof value;
}

/** Parses `arn:PARTITION:iam::ACCOUNT:role[/path/]NAME`; InputError names the field. */
export function parseRoleArn(arn: unknown, field: string): RoleArnParts {
  const match = typeof arn === 'string' ? ROLE_ARN.exec(arn) : null;
  if (!match || match[4].length > 64 || !IAM_NAME.test(match[4])) {
    throw new InputError(
      `${field}: must be an IAM role ARN such as arn:aws:iam::123456789012:role/my-role (role name at most 64 of A-Z a-z 0-9 +=,.@_-), got ${show(arn)}`,
    );
  }
  return {
    partition: match[1] as RoleArnParts['partition'],
    accountId: match[2],
    path: match[3] ?? '/',
    roleName: match[4],
  };
}

/** True for a well-formed IAM role ARN. */
export function isRoleArn(arn: unknown): boolean {
  try {
    parseRoleArn(arn, 'arn');
    return true;
  } catch {
    return false;
  }
}

/** Parses a customer- or AWS-managed policy ARN; InputError names the field. */
export function parsePolicyArn(arn: unknown, field: string): PolicyArnParts {
  const match = typeof arn === 'string' ? POLICY_ARN.exec(arn) : null;
  if (!match || match[4].length > 128 || !IAM_NAME.test(match[4])) {
    throw new InputError(
      `${field}: must be a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/my-policy, got ${show(arn)}`,
    );
  }
  return {
    partition: match[1] as PolicyArnParts['partition'],
    accountId: match[2],
    path: match[3] ?? '/',
    policyName: match[4],
    awsManaged: match[2] === 'aws',
  };
}

/** The role ARN IAM would give a role of this name and path. */
export function roleArn(options: {
  partition: string;
  accountId: string;
  roleName: string;
  path?: string;
}): string {
  return `arn:${options.partition}:iam::${options.accountId}:role${options.path ?? '/'}${options.roleName}`;
}

/** The AWS partition of a region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*. */
export function partitionOfRegion(region: string): RoleArnParts['partition'] {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const OIDC_PROVIDER_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider\/([a-z0-9.-]+(?:\/[\x21-\x7e]+)*)$/;

/** Parses `arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER`; InputError names the field. */
export function parseOidcProviderArn(arn: unknown, field: string) {
  const match = typeof arn === 'string' ? OIDC_PROVIDER_ARN.exec(arn) : null;
  if (!match) {
    throw new InputError(
      `${field}: must be an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE, got ${show(arn)}`,
    );
  }
  return {
    partition: match[1] as RoleArnParts['partition'],
    accountId: match[2],
    /** Issuer host/path without scheme: the trust policy's condition-key prefix. */
    issuer: match[3],
  };
}
