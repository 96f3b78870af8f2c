import type { PolicyDocument, PolicyStatement } from './report';
import { iamWildcardToRegExp } from './wildcard';

/**
 * The privilege-escalation actions the guardrail refuses on a wildcard or
 * pattern resource. Each lets the holder grant itself (or a principal it
 * controls) more permissions, act as another principal, or lift a Deny that
 * constrains it, such as the IRSA allowlist policy. Maintained list: add an
 * action here when it can turn a scoped role into an admin one.
 *
 * Left out on purpose: `iam:CreateServiceLinkedRole` (only the AWS service can
 * assume such a role and AWS fixes its policy), `iam:CreatePolicy` (a new
 * policy grants nothing until attached, which is listed) and the
 * "pass a role, then run code" services (the `iam:PassRole` half is listed).
 */
export const PRIVILEGE_ESCALATION_ACTIONS: readonly string[] = [
  // Write or replace the permissions of a role, user or group.
  'iam:AttachRolePolicy',
  'iam:AttachUserPolicy',
  'iam:AttachGroupPolicy',
  'iam:PutRolePolicy',
  'iam:PutUserPolicy',
  'iam:PutGroupPolicy',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:AddUserToGroup',
  // Remove the Deny policies and boundaries that constrain a principal.
  'iam:DetachRolePolicy',
  'iam:DetachUserPolicy',
  'iam:DetachGroupPolicy',
  'iam:DeleteRolePolicy',
  'iam:DeleteUserPolicy',
  'iam:DeleteGroupPolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  // Create or take over an identity.
  'iam:CreateRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PassRole',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'sts:AssumeRole',
];

/** Services whose every action is admin-equivalent, refused on any resource. */
export const ADMIN_EQUIVALENT_SERVICES: readonly string[] = [
  'iam',
  'sts',
  'organizations',
];

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// IAM action matching is case-insensitive.
const actionMatcher = (pattern: string) =>
  iamWildcardToRegExp(pattern, { ignoreCase: true });

/**
 * True when two IAM wildcard patterns (`*`, `?`) match at least one common
 * string, compared case-insensitively: `s3:Delete*` and `s3:*Bucket` both
 * match `s3:DeleteBucket`.
 */
function patternsOverlap(left: string, right: string): boolean {
  const a = left.toLowerCase();
  const b = right.toLowerCase();
  const seen = new Set<string>();
  const visit = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    if (a[i] === '*' && (visit(i + 1, j) || (j < b.length && visit(i, j + 1))))
      return true;
    if (b[j] === '*' && (visit(i, j + 1) || (i < a.length && visit(i + 1, j))))
      return true;
    if (i === a.length || j === b.length || a[i] === '*' || b[j] === '*')
      return false;
    const same = a[i] === b[j] || a[i] === '?' || b[j] === '?';
    return same && visit(i + 1, j + 1);
  };
  return visit(0, 0);
}

// A resource that is not one exact ARN: `*`, or any `*` / `?` pattern.
const isBroadResource = (resource: string) => /[*?]/.test(resource);

const quoted = (values: string[], most = 3) => {
  const shown = values.slice(0, most).map(v => `"${v}"`);
  if (values.length > most) shown.push(`and ${values.length - most} more`);
  return shown.join(', ');
};

function describeResources(statement: PolicyStatement): string {
  if (statement.NotResource !== undefined)
    return `NotResource ${quoted(list(statement.NotResource))}`;
  const resources = list(statement.Resource);
  return resources.length
    ? `Resource ${quoted(resources)}`
    : 'no Resource (every resource)';
}

/** How a platform team tunes the guardrail (`irsa.provisioning.guardrails`). */
export interface GuardrailOptions {
  /**
   * Escalation actions this platform accepts on every resource (for example
   * `iam:PassRole` for a deployment tool); `*` and `?` patterns allowed.
   * Whole-service grants (`iam:*`, `sts:*`, `organizations:*`), `*`,
   * NotAction and NotResource stay refused.
   */
  allowedActions?: string[];
  /**
   * Further actions refused on any resource, such as `s3:DeleteBucket`; a
   * pattern is refused when it overlaps the statement's action pattern.
   */
  deniedActions?: string[];
}

function statementReasons(
  statement: PolicyStatement,
  at: string,
  options: GuardrailOptions,
): string[] {
  const reasons: string[] = [];
  const where = describeResources(statement);
  if (statement.NotAction !== undefined) {
    reasons.push(
      `${at} allows NotAction ${quoted(list(statement.NotAction))} on ${where}, which grants every other action in AWS`,
    );
  }
  if (statement.NotResource !== undefined) {
    const actions = statement.Action !== undefined;
    reasons.push(
      `${at} allows ${actions ? quoted(list(statement.Action)) : 'those actions'} on ${where}, which covers every resource but those listed`,
    );
  }
  // Both shapes are refused outright: analysing their actions adds only noise.
  if (reasons.length) return reasons;

  const resources = list(statement.Resource);
  // An identity statement without Resource is malformed; read it as "*".
  const broad = resources.length ? resources.filter(isBroadResource) : ['*'];
  const allowed = (options.allowedActions ?? []).map(actionMatcher);
  for (const action of list(statement.Action)) {
    const matcher = actionMatcher(action);
    if (/^\*+(:\*+)?$/.test(action)) {
      reasons.push(
        `${at} allows "${action}", every action in AWS, on ${where}`,
      );
      continue;
    }
    const [servicePart, namePart = ''] = action.split(':');
    const service = ADMIN_EQUIVALENT_SERVICES.find(s =>
      actionMatcher(servicePart).test(s),
    );
    if (service && namePart.replace(/\*/g, '') === '') {
      reasons.push(
        `${at} allows "${action}", every ${service} action, on ${where}`,
      );
      continue;
    }
    const denied = (options.deniedActions ?? []).filter(d =>
      patternsOverlap(d, action),
    );
    if (denied.length) {
      reasons.push(
        `${at} allows ${denied.join(', ')}, which this platform denies ("${action}") on ${where}`,
      );
      continue;
    }
    if (!broad.length) continue;
    const escalations = PRIVILEGE_ESCALATION_ACTIONS.filter(
      a => matcher.test(a) && !allowed.some(allow => allow.test(a)),
    );
    if (escalations.length) {
      let kind = 'wildcard resources';
      if (broad.includes('*')) kind = 'every resource';
      else if (broad.length === 1) kind = 'a wildcard resource';
      reasons.push(
        `${at} allows ${escalations.join(', ')} ("${action}") on Resource ${quoted(broad)} (${kind}), which can escalate privileges`,
      );
    }
  }
  return reasons;
}

/**
 * Why a policy document is admin-equivalent (or grants a denied action), one
 * reason per finding naming the statement, the action and the resource; empty
 * when it is not. Refused: `*` and whole-service admin (`iam:*`, `sts:*`,
 * `organizations:*` or any pattern covering them) on any resource; an
 * escalation action ({@link PRIVILEGE_ESCALATION_ACTIONS}) on `*` or a
 * wildcard resource such as `arn:aws:iam::*:role/*`; `Allow` with NotAction
 * or NotResource; actions the platform denies. Conditions are ignored on
 * purpose: a condition narrows a grant only as far as its keys can be trusted,
 * so it never makes a broad grant acceptable. Deny statements are not
 * analysed. Used as a guardrail before provisioning and as a warning by the
 * `permissions` check.
 */
export function findAdminEquivalentGrants(
  document: PolicyDocument,
  options: GuardrailOptions = {},
): string[] {
  // AWS returns a lone statement as an object, not a list.
  const statements: PolicyStatement[] = (
    Array.isArray(document.Statement)
      ? document.Statement
      : [document.Statement as PolicyStatement]
  ).filter(statement => typeof statement === 'object' && statement !== null);
  return statements.flatMap((statement, index) =>
    statement.Effect === 'Allow'
      ? statementReasons(statement, `Statement[${index}]`, options)
      : [],
  );
}
