import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  IDENTITY_MECHANISMS,
  MAX_ROLE_NAME_LENGTH,
  iamWildcardToRegExp,
  normalizePublicCidr,
  parsePolicyArn,
  parsePolicyDocument,
  parseRoleArn,
  type IdentityMechanism,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCluster } from '../service/types';
import {
  RESERVED_TAG_PREFIX,
  ROLE_PATH,
  TAG_TEXT,
  type ProvisioningSettings,
} from './settings';

/** How the ServiceAccount is handled. */
export type ServiceAccountMode = 'apply' | 'manifest' | 'none';

/** What a template asks for (the aws:irsa:create inputs). */
export interface ProvisionInput {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** How pods get the role; absent: the cluster's `defaultMechanism`. */
  mechanism?: IdentityMechanism;
  /**
   * Pod Identity only: the role in another account the association chains
   * into (an account of `irsa.provisioning.podIdentity.targetAccounts`).
   */
  targetRoleArn?: string;
  /** IAM policy JSON (text or object); optional when managedPolicyArns or targetRoleArn is given. */
  policy?: unknown;
  managedPolicyArns?: string[];
  /** Extra public CIDRs besides the cluster's NAT IPs. */
  ipAllowList?: string[];
  serviceAccountMode?: ServiceAccountMode;
  annotateServiceAccount?: boolean;
  /** Sets eks.amazonaws.com/audience on the ServiceAccount (only when given). */
  audience?: string;
  roleName?: string;
  /** At or below the platform's `irsa.provisioning.rolePath`. */
  rolePath?: string;
  /** Only the platform's boundary (or any, when the platform sets none). */
  permissionsBoundaryArn?: string;
  maxSessionDuration?: number;
  tags?: Record<string, string>;
  /** The catalog entity the role belongs to; written on everything we create. */
  entityRef: string;
  /** The entity's owner (a group or user reference). */
  owner: string;
  adopt?: boolean;
}

/** The input after validation, with the platform's settings applied. */
export interface ValidatedInput extends Omit<
  ProvisionInput,
  'policy' | 'tags'
> {
  policy?: PolicyDocument;
  managedPolicyArns: string[];
  ipAllowList: string[];
  serviceAccountMode: ServiceAccountMode;
  annotateServiceAccount: boolean;
  rolePath: string;
  /** The template's tags and the platform's, which win by construction. */
  tags: Record<string, string>;
  adopt: boolean;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
/** The namespaces of the cluster's own machinery. */
export const SYSTEM_NAMESPACES = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
];
/** Managed policy ARNs are remembered in role tags, whose values hold 256 characters. */
const MAX_MANAGED_POLICY_ARN = 256;

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

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    fail(field, 'must be true or false');
  return value as boolean | undefined;
}

/** The entity reference in its canonical form, or InputError naming the field. */
export function validateEntityRef(
  value: unknown,
  field = 'entityRef',
  example = 'component:default/my-service',
): string {
  try {
    return stringifyEntityRef(parseEntityRef(string(value, field)));
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(field, `must be an entity reference such as ${example}`);
  }
}

/** A Kubernetes namespace name (DNS-1123 label), or InputError. */
export function validateNamespace(value: unknown, field = 'namespace'): string {
  const namespace = string(value, field);
  if (!DNS1123_LABEL.test(namespace))
    fail(
      field,
      'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    );
  return namespace;
}

/** A ServiceAccount name (DNS-1123 subdomain), or InputError. */
export function validateServiceAccountName(
  value: unknown,
  field = 'serviceAccount',
): string {
  const name = string(value, field);
  if (!DNS1123_SUBDOMAIN.test(name))
    fail(
      field,
      'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    );
  return name;
}

/** An IAM role name, or InputError. */
export function validateRoleName(value: unknown, field = 'roleName'): string {
  if (typeof value !== 'string' || !ROLE_NAME.test(value))
    fail(field, `must be 1-${MAX_ROLE_NAME_LENGTH} of A-Z a-z 0-9 +=,.@_-`);
  return value;
}

function validateTags(
  input: unknown,
  platform: Record<string, string>,
): Record<string, string> {
  const tags = input ?? {};
  if (typeof tags !== 'object' || Array.isArray(tags) || tags === null)
    fail('tags', 'must be an object of string values');
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
    if (k in platform)
      fail(
        `tags.${k}`,
        'is a platform tag (irsa.provisioning.tags); templates cannot overwrite it',
      );
    if (typeof v !== 'string' || v.length > 256 || !TAG_TEXT.test(v))
      fail(
        `tags.${k}`,
        'values must be strings of at most 256 letters, digits, spaces and _.:/=+-@',
      );
  }
  return { ...(tags as Record<string, string>), ...platform };
}

/**
 * Validates every input and applies the platform's settings, which inputs
 * may only narrow, or throws InputError naming the field and the rule.
 * Pure: no AWS or Kubernetes call.
 */
export function validateProvisionInput(
  input: ProvisionInput,
  settings: ProvisioningSettings,
): ValidatedInput {
  if (typeof input !== 'object' || input === null)
    fail('input', 'must be an object');
  const cluster = string(input.cluster, 'cluster');
  const namespace = validateNamespace(input.namespace);
  const serviceAccount = validateServiceAccountName(input.serviceAccount);

  const managedPolicyArns = optionalStringList(
    input.managedPolicyArns,
    'managedPolicyArns',
  );
  managedPolicyArns.forEach((arn, i) => {
    parsePolicyArn(arn, `managedPolicyArns[${i}]`);
    if (arn.length > MAX_MANAGED_POLICY_ARN)
      fail(
        `managedPolicyArns[${i}]`,
        `must be at most ${MAX_MANAGED_POLICY_ARN} characters`,
      );
  });
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
  const mechanism = input.mechanism;
  if (
    mechanism !== undefined &&
    !IDENTITY_MECHANISMS.includes(mechanism as IdentityMechanism)
  )
    fail('mechanism', `must be one of ${IDENTITY_MECHANISMS.join(', ')}`);
  const targetRoleArn =
    input.targetRoleArn === undefined || input.targetRoleArn === ''
      ? undefined
      : validateTargetRoleArn(input.targetRoleArn, mechanism, settings);
  if (!policy && !managedPolicyArns.length && !targetRoleArn)
    fail(
      'policy',
      'is required unless managedPolicyArns (or, for Pod Identity, targetRoleArn) is given',
    );

  const ipAllowList = optionalStringList(input.ipAllowList, 'ipAllowList').map(
    (c, i) => normalizePublicCidr(c, `ipAllowList[${i}]`, settings.allowlist),
  );

  const serviceAccountMode = input.serviceAccountMode ?? 'apply';
  if (!['apply', 'manifest', 'none'].includes(serviceAccountMode))
    fail('serviceAccountMode', 'must be "apply", "manifest" or "none"');
  const annotateServiceAccount = optionalBoolean(
    input.annotateServiceAccount,
    'annotateServiceAccount',
  );
  if (
    input.audience !== undefined &&
    !/^[\x21-\x7e]{1,256}$/.test(String(input.audience))
  )
    fail('audience', 'must be a non-empty string without spaces');

  if (input.roleName !== undefined) validateRoleName(input.roleName);
  const rolePath = input.rolePath ?? settings.rolePath;
  if (typeof rolePath !== 'string' || !ROLE_PATH.test(rolePath))
    fail('rolePath', 'must start and end with "/" (for example /irsa/)');
  if (!rolePath.startsWith(settings.rolePath))
    fail(
      'rolePath',
      `must be ${settings.rolePath} or below it (irsa.provisioning.rolePath)`,
    );
  let permissionsBoundaryArn = settings.permissionsBoundaryArn;
  if (input.permissionsBoundaryArn !== undefined) {
    parsePolicyArn(input.permissionsBoundaryArn, 'permissionsBoundaryArn');
    if (
      settings.permissionsBoundaryArn &&
      input.permissionsBoundaryArn !== settings.permissionsBoundaryArn
    )
      fail(
        'permissionsBoundaryArn',
        `the platform's boundary ${settings.permissionsBoundaryArn} cannot be replaced or removed (irsa.provisioning.permissionsBoundaryArn)`,
      );
    permissionsBoundaryArn = input.permissionsBoundaryArn;
  }
  if (
    input.maxSessionDuration !== undefined &&
    (!Number.isInteger(input.maxSessionDuration) ||
      input.maxSessionDuration < 3600 ||
      input.maxSessionDuration > settings.maxSessionDuration)
  ) {
    fail(
      'maxSessionDuration',
      `must be a whole number of seconds from 3600 to ${settings.maxSessionDuration} (irsa.provisioning.maxSessionDuration)`,
    );
  }
  const tags = validateTags(input.tags, settings.tags);
  // Our own tags (5), one per managed policy we attach, and IAM's limit of 50.
  const tagBudget = 50 - 5 - managedPolicyArns.length;
  if (Object.keys(tags).length > tagBudget)
    fail(
      'tags',
      `at most ${tagBudget - Object.keys(settings.tags).length} (IAM allows 50 per role; this action and the platform use the rest)`,
    );
  const adopt = optionalBoolean(input.adopt, 'adopt') ?? false;

  return {
    cluster,
    namespace,
    serviceAccount,
    ...(mechanism ? { mechanism } : {}),
    ...(targetRoleArn ? { targetRoleArn } : {}),
    policy,
    managedPolicyArns,
    ipAllowList,
    serviceAccountMode,
    annotateServiceAccount: annotateServiceAccount ?? true,
    ...(input.audience !== undefined ? { audience: input.audience } : {}),
    ...(input.roleName !== undefined ? { roleName: input.roleName } : {}),
    rolePath,
    ...(permissionsBoundaryArn ? { permissionsBoundaryArn } : {}),
    ...(input.maxSessionDuration !== undefined
      ? { maxSessionDuration: input.maxSessionDuration }
      : {}),
    tags,
    entityRef: validateEntityRef(input.entityRef),
    owner: validateEntityRef(input.owner, 'owner', 'group:default/team-a'),
    adopt,
  };
}

/** The cross-account target role: a role ARN in an account the platform allows. */
function validateTargetRoleArn(
  value: unknown,
  mechanism: IdentityMechanism | undefined,
  settings: ProvisioningSettings,
): string {
  const arn = string(value, 'targetRoleArn');
  if (mechanism === 'irsa')
    fail(
      'targetRoleArn',
      'applies only to mechanism pod-identity (an IRSA role is assumed directly)',
    );
  const { accountId } = parseRoleArn(arn, 'targetRoleArn');
  const allowed = settings.podIdentity.targetAccounts;
  if (!allowed.includes(accountId))
    fail(
      'targetRoleArn',
      `account ${accountId} is not a Pod Identity target the platform allows (irsa.provisioning.podIdentity.targetAccounts: ${allowed.join(', ') || 'none'})`,
    );
  return arn;
}

/**
 * The mechanism a validated input provisions on this cluster (the input's,
 * else the cluster's default), and the rules that depend on it. Pure.
 */
export function resolveMechanism(
  input: ValidatedInput,
  cluster: IrsaCluster,
): IdentityMechanism {
  const mechanism = input.mechanism ?? cluster.defaultMechanism ?? 'irsa';
  if (mechanism === 'irsa' && input.targetRoleArn)
    fail(
      'targetRoleArn',
      `applies only to mechanism pod-identity, and cluster ${cluster.name} defaults to irsa; set mechanism: pod-identity`,
    );
  if (mechanism === 'pod-identity' && input.audience !== undefined)
    fail(
      'audience',
      'applies only to IRSA (eks.amazonaws.com/audience); Pod Identity tokens always have the audience pods.eks.amazonaws.com',
    );
  if (
    input.targetRoleArn &&
    parseRoleArn(input.targetRoleArn, 'targetRoleArn').partition !==
      cluster.partition
  )
    fail(
      'targetRoleArn',
      `must be in the partition of cluster ${cluster.name} (${cluster.partition})`,
    );
  return mechanism;
}

/**
 * Refuses namespaces the cluster's configuration does not open: the system
 * namespaces unless `allow` names them exactly, anything `deny` matches, and
 * anything outside a non-empty `allow`.
 */
export function checkNamespace(cluster: IrsaCluster, namespace: string) {
  const { allow = [], deny = [] } = cluster.namespaces ?? {};
  const matches = (patterns: string[]) =>
    patterns.some(p => iamWildcardToRegExp(p).test(namespace));
  const key = `irsa.clusters[${cluster.name}].namespaces`;
  if (SYSTEM_NAMESPACES.includes(namespace) && !allow.includes(namespace))
    fail(
      'namespace',
      `${namespace} belongs to the cluster itself and is refused (list it exactly under ${key}.allow to open it)`,
    );
  if (matches(deny))
    fail('namespace', `${namespace} is refused by ${key}.deny`);
  if (allow.length && !matches(allow))
    fail(
      'namespace',
      `${namespace} is not in ${key}.allow (${allow.join(', ')})`,
    );
}
