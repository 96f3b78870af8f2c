import { InputError } from '@backstage/errors';
import { parsePolicyArn } from './arn';
import { findAdminEquivalentGrants, type GuardrailOptions } from './guardrails';
import type { PolicyDocument } from './report';
import { iamWildcardToRegExp } from './wildcard';

/**
 * AWS managed policies refused by name, whatever their current document says:
 * each grants administrator access, control over IAM, or control over the
 * organization or its identity center. Matched by policy name in every
 * partition and under any path. A platform that wants one lists it in
 * `irsa.provisioning.managedPolicies.allow`.
 */
export const REFUSED_AWS_MANAGED_POLICIES: readonly string[] = [
  'AdministratorAccess',
  'PowerUserAccess',
  'IAMFullAccess',
  'AWSOrganizationsFullAccess',
  'AdministratorAccess-Amplify',
  'AdministratorAccess-AWSElasticBeanstalk',
  'AWSSSOMasterAccountAdministrator',
  'AWSSSOMemberAccountAdministrator',
];

const CONFIG_KEY = 'irsa.provisioning.managedPolicies';

/** The platform's rules for managed policies (`irsa.provisioning.managedPolicies`). */
export interface ManagedPolicyRules {
  /**
   * Policy ARN patterns (`*`, `?`) accepted without further checks, even when
   * refused by name or by the statement guardrail: the platform decides.
   */
  allow?: string[];
  /** Policy ARN patterns refused; deny wins over allow. */
  deny?: string[];
  /** The statement guardrail's options, applied to the policy document. */
  guardrails?: GuardrailOptions;
}

/** Inputs of {@link evaluateManagedPolicy}. */
export interface ManagedPolicyEvaluation {
  /** The managed policy ARN asked for. */
  arn: string;
  /** The cluster's account: its own customer-managed policies are accepted. */
  accountId: string;
  /**
   * The policy's default version (GetPolicy + GetPolicyVersion). Without it
   * only the name, account and pattern rules apply.
   */
  document?: PolicyDocument;
  options: ManagedPolicyRules;
  /** Names the input in errors, for example `managedPolicyArns[1]`. */
  field?: string;
}

// ARNs compare case-insensitively here: IAM policy names are unique regardless of case.
const arnMatcher = (pattern: string) =>
  iamWildcardToRegExp(pattern, { ignoreCase: true });

function firstMatch(
  arn: string,
  patterns: string[] | undefined,
): number | undefined {
  const index = (patterns ?? []).findIndex(p => arnMatcher(p).test(arn));
  return index < 0 ? undefined : index;
}

/**
 * Why a managed policy may not be attached to an IRSA role; empty when it may.
 * In order: a `deny` pattern refuses it; an `allow` pattern accepts it; an AWS
 * managed policy on {@link REFUSED_AWS_MANAGED_POLICIES} is refused; a policy
 * of another account (neither `aws` nor the cluster's) is refused; otherwise
 * the document goes through {@link findAdminEquivalentGrants}, each reason
 * prefixed with the ARN. Pure: the caller reads the document. Throws
 * InputError naming `field` when `arn` is not a managed policy ARN.
 */
export function evaluateManagedPolicy(
  input: ManagedPolicyEvaluation,
): string[] {
  const { arn, accountId, document, options } = input;
  const parts = parsePolicyArn(arn, input.field ?? 'managedPolicyArns');
  const denied = firstMatch(arn, options.deny);
  if (denied !== undefined) {
    return [
      `${arn}: refused by ${CONFIG_KEY}.deny[${denied}] ("${options.deny![denied]}")`,
    ];
  }
  if (firstMatch(arn, options.allow) !== undefined) return [];
  const allowHint = `; list it in ${CONFIG_KEY}.allow if the platform accepts it`;
  if (
    parts.awsManaged &&
    REFUSED_AWS_MANAGED_POLICIES.some(
      name => name.toLowerCase() === parts.policyName.toLowerCase(),
    )
  ) {
    return [
      `${arn}: the AWS managed policy ${parts.policyName} grants administrator access or control over IAM, so it is refused by name${allowHint}`,
    ];
  }
  if (!parts.awsManaged && parts.accountId !== accountId) {
    return [
      `${arn}: belongs to account ${parts.accountId}, neither AWS nor the cluster's account ${accountId}${allowHint}`,
    ];
  }
  if (!document) return [];
  return findAdminEquivalentGrants(document, options.guardrails).map(
    reason => `${arn}: ${reason}`,
  );
}

// arn:PARTITION:iam::ACCOUNT:policy/PATH-AND-NAME, each part allowing * and ?.
const POLICY_ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov|[a-z*?-]*[*?][a-z*?-]*):iam::(aws|\d{12}|[\d*?]*[*?][\d*?]*):policy\/[A-Za-z0-9+=,.@_\-/*?]+$/;

/**
 * Validates `irsa.provisioning.managedPolicies.allow` or `.deny`: a list of
 * IAM policy ARN patterns such as `arn:aws:iam::aws:policy/ReadOnlyAccess` or
 * `arn:*:iam::123456789012:policy/team-*`. Throws InputError naming the entry,
 * e.g. `irsa.provisioning.managedPolicies.allow[2]`; returns the list.
 */
export function validateManagedPolicyPatterns(
  patterns: unknown,
  key: string,
): string[] {
  if (patterns === undefined) return [];
  if (!Array.isArray(patterns))
    throw new InputError(`${key}: must be a list of policy ARN patterns`);
  patterns.forEach((pattern, index) => {
    if (typeof pattern !== 'string' || !POLICY_ARN_PATTERN.test(pattern)) {
      const shown =
        typeof pattern === 'string'
          ? `"${pattern.slice(0, 120)}"`
          : typeof pattern;
      throw new InputError(
        `${key}[${index}]: ${shown} is not an IAM policy ARN pattern such as arn:aws:iam::aws:policy/ReadOnlyAccess or arn:*:iam::123456789012:policy/team-* (wildcards * and ?)`,
      );
    }
  });
  return patterns as string[];
}
