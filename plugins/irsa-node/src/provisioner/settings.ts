import { ConfigReader, type Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  ACCOUNT_ID_PATTERN,
  parsePolicyArn,
  validateManagedPolicyPatterns,
  type GuardrailOptions,
} from '@backstage-irsa/plugin-irsa-common';

/**
 * The platform's provisioning settings (`irsa.provisioning`), read once.
 * Inputs of aws:irsa:create may only narrow them.
 */
export interface ProvisioningSettings {
  /** Roles and policies live at or below this path. */
  rolePath: string;
  /** Attached to every role; an input can never remove or replace it. */
  permissionsBoundaryArn?: string;
  /** The longest session an input may ask for, in seconds. */
  maxSessionDuration: number;
  /** Written on every role and policy; inputs may not overwrite them. */
  tags: Record<string, string>;
  allowAdminEquivalent: boolean;
  guardrails: GuardrailOptions;
  /** ARN patterns of managed policies the platform accepts or refuses. */
  managedPolicies: { allow: string[]; deny: string[] };
  /** Run IAM Access Analyzer ValidatePolicy on every document before writing. */
  accessAnalyzer: boolean;
  /** The broadest CIDR an allowlist input may name. */
  allowlist: { minPrefixV4: number; minPrefixV6: number };
  /** How long a run waits for another run on the same ServiceAccount or role. */
  lockWaitMs: number;
  podIdentity: {
    /**
     * Accounts whose roles a Pod Identity association may chain into
     * (`targetRoleArn`); empty: cross-account access is refused.
     */
    targetAccounts: string[];
  };
}

const KEY = 'irsa.provisioning';
// IAM: `/` or `/segments/`, printable ASCII, no empty segment.
export const ROLE_PATH = /^\/(?!.*\/\/)([\x21-\x7e]{1,510}\/)?$/;
export const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** Tags we write ourselves; neither inputs nor platform tags may set them. */
export const RESERVED_TAG_PREFIX = 'irsa.dev/';

function configError(key: string, rule: string): never {
  throw new InputError(`${key}: ${rule}`);
}

function integerIn(
  config: Config,
  key: string,
  fallback: number,
  [min, max]: [number, number],
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    configError(
      `${KEY}.${key}`,
      `must be a whole number from ${min} to ${max}`,
    );
  return value;
}

function readAccountIds(config: Config, key: string): string[] {
  const ids = config.getOptionalStringArray(key) ?? [];
  ids.forEach((id, i) => {
    if (!ACCOUNT_ID_PATTERN.test(id))
      configError(
        `${KEY}.${key}[${i}]`,
        'must be a 12-digit AWS account id (quote it in YAML)',
      );
  });
  return [...new Set(ids)];
}

/** Reads and validates `irsa.provisioning`; an invalid value names its key. */
export function readProvisioningSettings(root: Config): ProvisioningSettings {
  const config = root.getOptionalConfig(KEY) ?? new ConfigReader({});
  const rolePath = config.getOptionalString('rolePath') ?? '/';
  if (!ROLE_PATH.test(rolePath))
    configError(
      `${KEY}.rolePath`,
      'must start and end with "/" (for example /irsa/)',
    );
  const permissionsBoundaryArn = config.getOptionalString(
    'permissionsBoundaryArn',
  );
  if (permissionsBoundaryArn)
    parsePolicyArn(permissionsBoundaryArn, `${KEY}.permissionsBoundaryArn`);
  const tags = config.getOptional<Record<string, string>>('tags') ?? {};
  for (const [k, v] of Object.entries(tags)) {
    if (
      !k ||
      k.length > 128 ||
      !TAG_TEXT.test(k) ||
      /^aws:/i.test(k) ||
      k.startsWith(RESERVED_TAG_PREFIX)
    )
      configError(
        `${KEY}.tags.${k}`,
        `keys must be 1-128 of letters, digits, spaces and _.:/=+-@, not starting with aws: or ${RESERVED_TAG_PREFIX}`,
      );
    if (typeof v !== 'string' || v.length > 256 || !TAG_TEXT.test(v))
      configError(
        `${KEY}.tags.${k}`,
        'values must be strings of at most 256 characters',
      );
  }
  return {
    rolePath,
    permissionsBoundaryArn,
    maxSessionDuration: integerIn(
      config,
      'maxSessionDuration',
      3600,
      [3600, 43200],
    ),
    tags,
    allowAdminEquivalent:
      config.getOptionalBoolean('allowAdminEquivalent') ?? false,
    guardrails: {
      allowedActions: config.getOptionalStringArray(
        'guardrails.allowedActions',
      ),
      deniedActions: config.getOptionalStringArray('guardrails.deniedActions'),
    },
    managedPolicies: {
      allow: validateManagedPolicyPatterns(
        config.getOptionalStringArray('managedPolicies.allow') ?? [],
        `${KEY}.managedPolicies.allow`,
      ),
      deny: validateManagedPolicyPatterns(
        config.getOptionalStringArray('managedPolicies.deny') ?? [],
        `${KEY}.managedPolicies.deny`,
      ),
    },
    accessAnalyzer: config.getOptionalBoolean('accessAnalyzer') ?? false,
    allowlist: {
      minPrefixV4: integerIn(config, 'allowlist.minPrefixV4', 16, [1, 32]),
      minPrefixV6: integerIn(config, 'allowlist.minPrefixV6', 32, [1, 128]),
    },
    lockWaitMs: integerIn(config, 'lockWaitSeconds', 30, [0, 600]) * 1000,
    podIdentity: {
      targetAccounts: readAccountIds(config, 'podIdentity.targetAccounts'),
    },
  };
}
