import type { PolicyDocument, PolicyStatement } from './report';
import { iamWildcardToRegExp } from './wildcard';

// Actions that are admin-equivalent on Resource "*": each lets the holder
// grant itself more (privilege escalation) or act as any principal.
const ESCALATION_ACTIONS = [
  'iam:PassRole',
  'iam:CreateRole',
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:UpdateAssumeRolePolicy',
  'iam:AttachUserPolicy',
  'iam:PutUserPolicy',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'sts:AssumeRole',
];
// Whole services whose every action is admin-equivalent.
const ADMIN_SERVICES = ['iam', 'sts', 'organizations'];

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// IAM action matching is case-insensitive.
const wildcardToRegExp = (pattern: string) =>
  iamWildcardToRegExp(pattern, { ignoreCase: true });

function coversAllResources(statement: PolicyStatement): boolean {
  return (
    statement.NotResource !== undefined ||
    list(statement.Resource).some(r => r === '*')
  );
}

/** How a platform team tunes the guardrail (`irsa.provisioning.guardrails`). */
export interface GuardrailOptions {
  /**
   * Escalation actions this platform accepts on every resource (for example
   * `iam:PassRole` for a deployment tool). Wildcard grants stay refused.
   */
  allowedActions?: string[];
  /** Further actions refused on any resource, such as `s3:DeleteBucket`. */
  deniedActions?: string[];
}

/**
 * Why a policy document is admin-equivalent (or grants a denied action), one
 * reason per finding; empty when it is not. Used as a guardrail before
 * provisioning and as a warning by the `permissions` check.
 */
export function findAdminEquivalentGrants(
  document: PolicyDocument,
  options: GuardrailOptions = {},
): string[] {
  const allowed = (options.allowedActions ?? []).map(a => a.toLowerCase());
  const reasons: string[] = [];
  document.Statement.forEach((statement, index) => {
    if (statement.Effect !== 'Allow') return;
    const at = `Statement[${index}]`;
    if (statement.NotAction !== undefined) {
      reasons.push(
        `${at} allows NotAction, which grants every other action in AWS`,
      );
      return;
    }
    const actions = list(statement.Action);
    const allResources = coversAllResources(statement);
    for (const action of actions) {
      const matcher = wildcardToRegExp(action);
      if (action === '*' || matcher.test('anyservice:AnyAction')) {
        reasons.push(`${at} allows "${action}", every action in AWS`);
        continue;
      }
      const [servicePart, namePart = ''] = action.split(':');
      const service = ADMIN_SERVICES.find(s =>
        wildcardToRegExp(servicePart).test(s),
      );
      if (service && namePart === '*') {
        reasons.push(`${at} allows "${action}", every ${service} action`);
        continue;
      }
      const denied = (options.deniedActions ?? []).filter(a => matcher.test(a));
      if (denied.length) {
        reasons.push(
          `${at} allows ${denied.join(', ')}, which this platform denies ("${action}")`,
        );
        continue;
      }
      if (allResources) {
        const escalations = ESCALATION_ACTIONS.filter(
          a => matcher.test(a) && !allowed.includes(a.toLowerCase()),
        );
        if (escalations.length) {
          reasons.push(
            `${at} allows ${escalations.join(', ')} on every resource ("${action}" with Resource "*"), which can escalate privileges`,
          );
        }
      }
    }
  });
  return reasons;
}
