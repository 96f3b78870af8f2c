import { InputError } from '@backstage/errors';
import {
  MAX_ROLE_NAME_LENGTH,
  normalizePublicCidr,
  parsePolicyArn,
  parsePolicyDocument,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';

/** How the ServiceAccount is handled. */
export type ServiceAccountMode = 'apply' | 'manifest' | 'none';

/** What a template asks for (the aws:irsa:create inputs). */
export interface ProvisionInput {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** IAM policy JSON (text or object); optional when managedPolicyArns is given. */
  policy?: unknown;
  managedPolicyArns?: string[];
  /** Extra public CIDRs besides the cluster's NAT IPs. */
  ipAllowList?: string[];
  serviceAccountMode?: ServiceAccountMode;
  annotateServiceAccount?: boolean;
  /** Sets eks.amazonaws.com/audience on the ServiceAccount (only when given). */
  audience?: string;
  roleName?: string;
  rolePath?: string;
  permissionsBoundaryArn?: string;
  maxSessionDuration?: number;
  tags?: Record<string, string>;
  entityRef?: string;
  owner?: string;
  adopt?: boolean;
}

/** The input after validation, with defaults applied. */
export interface ValidatedInput extends Omit<ProvisionInput, 'policy'> {
  policy?: PolicyDocument;
  managedPolicyArns: string[];
  ipAllowList: string[];
  serviceAccountMode: ServiceAccountMode;
  annotateServiceAccount: boolean;
  rolePath: string;
  tags: Record<string, string>;
  adopt: boolean;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
// IAM: `/` or `/segments/`; no empty segment.
const ROLE_PATH = /^\/(?!.*\/\/)([\x21-\x7e]{1,510}\/)?$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ENTITY_REF =
  /^[a-zA-Z][a-zA-Z0-9-]*:([a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}\/)?[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}$/;
/** Tags we write ourselves; users may not set them. */
export const RESERVED_TAG_PREFIX = 'irsa.dev/';

function fail(field: string, rule: string): never {
  throw new InputError(`${field}: ${rule}`);
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    fail(field, 'must be a non-empty string');
  return value;
}

function optionalStringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(field, 'must be a list of strings');
  return value.map((v, i) => string(v, `${field}[${i}]`));
}

/**
 * Validates every input and applies defaults, or throws InputError naming
 * the field and the rule. Pure: no AWS or Kubernetes call.
 */
export function validateProvisionInput(
  input: ProvisionInput,
  defaults: { rolePath?: string; permissionsBoundaryArn?: string },
): ValidatedInput {
  if (typeof input !== 'object' || input === null)
    fail('input', 'must be an object');
  const cluster = string(input.cluster, 'cluster');
  const namespace = string(input.namespace, 'namespace');
  if (!DNS1123_LABEL.test(namespace))
    fail(
      'namespace',
      'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    );
  const serviceAccount = string(input.serviceAccount, 'serviceAccount');
  if (!DNS1123_SUBDOMAIN.test(serviceAccount))
    fail(
      'serviceAccount',
      'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    );

  const managedPolicyArns = optionalStringList(
    input.managedPolicyArns,
    'managedPolicyArns',
  );
  managedPolicyArns.forEach((arn, i) =>
    parsePolicyArn(arn, `managedPolicyArns[${i}]`),
  );
  if (new Set(managedPolicyArns).size !== managedPolicyArns.length)
    fail('managedPolicyArns', 'must not repeat an ARN');
  // Two slots stay free for our permissions and allowlist policies.
  if (managedPolicyArns.length > 8)
    fail(
      'managedPolicyArns',
      'at most 8 (IAM attaches at most 10 managed policies to a role)',
    );
  const policy =
    input.policy === undefined || input.policy === ''
      ? undefined
      : parsePolicyDocument(input.policy, 'policy');
  if (!policy && !managedPolicyArns.length)
    fail('policy', 'is required unless managedPolicyArns is given');

  const ipAllowList = optionalStringList(input.ipAllowList, 'ipAllowList').map(
    (c, i) => normalizePublicCidr(c, `ipAllowList[${i}]`),
  );

  const serviceAccountMode = input.serviceAccountMode ?? 'apply';
  if (!['apply', 'manifest', 'none'].includes(serviceAccountMode))
    fail('serviceAccountMode', 'must be "apply", "manifest" or "none"');
  if (
    input.annotateServiceAccount !== undefined &&
    typeof input.annotateServiceAccount !== 'boolean'
  )
    fail('annotateServiceAccount', 'must be true or false');
  if (
    input.audience !== undefined &&
    !/^[\x21-\x7e]{1,256}$/.test(String(input.audience))
  )
    fail('audience', 'must be a non-empty string without spaces');

  if (
    input.roleName !== undefined &&
    (typeof input.roleName !== 'string' || !ROLE_NAME.test(input.roleName))
  ) {
    fail(
      'roleName',
      `must be 1-${MAX_ROLE_NAME_LENGTH} of A-Z a-z 0-9 +=,.@_-`,
    );
  }
  const rolePath = input.rolePath ?? defaults.rolePath ?? '/';
  if (typeof rolePath !== 'string' || !ROLE_PATH.test(rolePath))
    fail('rolePath', 'must start and end with "/" (for example /irsa/)');
  const permissionsBoundaryArn =
    input.permissionsBoundaryArn ?? defaults.permissionsBoundaryArn;
  if (permissionsBoundaryArn !== undefined)
    parsePolicyArn(permissionsBoundaryArn, 'permissionsBoundaryArn');
  if (
    input.maxSessionDuration !== undefined &&
    (!Number.isInteger(input.maxSessionDuration) ||
      input.maxSessionDuration < 3600 ||
      input.maxSessionDuration > 43200)
  ) {
    fail(
      'maxSessionDuration',
      'must be a whole number of seconds from 3600 to 43200',
    );
  }
  const tags = input.tags ?? {};
  if (typeof tags !== 'object' || Array.isArray(tags) || tags === null)
    fail('tags', 'must be an object of string values');
  if (Object.keys(tags).length > 40)
    fail('tags', 'at most 40 (IAM allows 50; we add up to 5 of our own)');
  for (const [k, v] of Object.entries(tags)) {
    if (!k || k.length > 128 || !TAG_TEXT.test(k) || /^aws:/i.test(k))
      fail(
        `tags.${k}`,
        'keys must be 1-128 of letters, digits, spaces and _.:/=+-@, not starting with aws:',
      );
    if (k.startsWith(RESERVED_TAG_PREFIX))
      fail(
        `tags.${k}`,
        `keys starting with ${RESERVED_TAG_PREFIX} are written by this action`,
      );
    if (typeof v !== 'string' || v.length > 256 || !TAG_TEXT.test(v))
      fail(
        `tags.${k}`,
        'values must be strings of at most 256 letters, digits, spaces and _.:/=+-@',
      );
  }
  if (
    input.entityRef !== undefined &&
    (typeof input.entityRef !== 'string' || !ENTITY_REF.test(input.entityRef))
  )
    fail(
      'entityRef',
      'must be an entity reference such as component:default/my-service',
    );
  if (
    input.owner !== undefined &&
    (typeof input.owner !== 'string' ||
      input.owner.length > 256 ||
      !TAG_TEXT.test(input.owner))
  )
    fail('owner', 'must be an entity reference such as group:default/team-a');
  if (input.adopt !== undefined && typeof input.adopt !== 'boolean')
    fail('adopt', 'must be true or false');

  return {
    ...input,
    cluster,
    namespace,
    serviceAccount,
    policy,
    managedPolicyArns,
    ipAllowList,
    serviceAccountMode,
    annotateServiceAccount: input.annotateServiceAccount ?? true,
    rolePath,
    permissionsBoundaryArn,
    tags,
    adopt: input.adopt ?? false,
  };
}
