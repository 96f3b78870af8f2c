import {
  iamWildcardToRegExp,
  type PolicyDocument,
  type PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';

/** Who asks STS to assume a role, as a trust policy's `Principal` names it. */
export interface TrustPrincipal {
  /** `Federated`: an OIDC provider ARN; `Service`: a service principal; `AWS`: a role ARN. */
  type: 'Federated' | 'Service' | 'AWS';
  id: string;
}

/** One request to assume a role: the caller, the action and the request context. */
export interface AssumeRequest {
  principal: TrustPrincipal;
  /** `sts:AssumeRoleWithWebIdentity`, `sts:AssumeRole`, `sts:TagSession`. */
  action: string;
  /** Condition keys the request carries and their values (keys match case-insensitively, as in IAM). */
  context: Record<string, string[]>;
}

/** The request context STS evaluates an IRSA trust policy against. */
export interface WebIdentityContext {
  providerArn: string;
  /** Issuer without scheme: the condition-key prefix. */
  issuer: string;
  sub: string;
  aud: string[];
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

// IAM compares an ARN component by component, each with `*` and `?`
// wildcards (ArnEquals and ArnLike alike); the resource part may hold colons.
function arnMatches(pattern: string, arn: string): boolean {
  const parts = (value: string) => {
    const split = value.split(':');
    return split.length < 6
      ? undefined
      : [...split.slice(0, 5), split.slice(5).join(':')];
  };
  const expected = parts(pattern);
  const actual = parts(arn);
  if (!expected || !actual) return false;
  return expected.every((p, i) => iamWildcardToRegExp(p).test(actual[i]));
}

const NEGATED = /^(StringNot|ArnNot)/;

function valueMatches(base: string, pattern: string, value: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return pattern === value;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return pattern.toLowerCase() === value.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return iamWildcardToRegExp(pattern).test(value);
    case 'ArnEquals':
    case 'ArnLike':
    case 'ArnNotEquals':
    case 'ArnNotLike':
      return arnMatches(pattern, value);
    default:
      return false;
  }
}

const MODELLED = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
]);

function lookup(
  context: Record<string, string[]>,
  key: string,
): string[] | undefined {
  const wanted = key.toLowerCase();
  const found = Object.entries(context).find(
    ([k]) => k.toLowerCase() === wanted,
  );
  return found?.[1];
}

function conditionHolds(
  operator: string,
  block: Record<string, unknown>,
  context: Record<string, string[]>,
): boolean {
  const ifExists = operator.endsWith('IfExists');
  const set = /^(ForAnyValue|ForAllValues):/.exec(operator)?.[1];
  const base = operator
    .replace(/IfExists$/, '')
    .replace(/^ForAnyValue:|^ForAllValues:/, '');
  if (!MODELLED.has(base)) return false; // an operator the sandbox does not model never grants
  return Object.entries(block).every(([key, expected]) => {
    const actual = lookup(context, key);
    const present = actual !== undefined && actual.length > 0;
    if (base === 'Null') return list(expected)[0] === String(!present);
    if (set === 'ForAllValues' && !present) return true;
    if (!present) return ifExists || NEGATED.test(base);
    const patterns = list(expected);
    const single = (value: string) => {
      const matched = patterns.some(p => valueMatches(base, p, value));
      return NEGATED.test(base) ? !matched : matched;
    };
    if (set === 'ForAllValues') return actual.every(single);
    if (NEGATED.test(base) && !set) return actual.every(single);
    return actual.some(single);
  });
}

function principalMatches(
  statement: PolicyStatement,
  principal: TrustPrincipal,
): boolean {
  if (statement.Principal === '*') return true;
  const named = list(statement.Principal?.[principal.type]);
  if (named.includes('*') || named.includes(principal.id)) return true;
  if (principal.type !== 'AWS') return false;
  // An account principal (`arn:aws:iam::ACCOUNT:root` or the bare id) trusts its roles.
  const [, partition, , , accountId] = principal.id.split(':');
  return (
    named.includes(accountId) ||
    named.includes(`arn:${partition}:iam::${accountId}:root`)
  );
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (patterns: unknown) =>
    list(patterns).some(p =>
      iamWildcardToRegExp(p, { ignoreCase: true }).test(action),
    );
  if (statement.NotAction !== undefined) return !matches(statement.NotAction);
  return matches(statement.Action);
}

/**
 * Does this trust policy allow the request? An Allow whose principal and
 * action match and whose conditions all hold, and no matching Deny (a Deny
 * wins). Conditions: the String and Arn operators (with IfExists and the
 * ForAnyValue/ForAllValues set forms) and Null; any other operator never
 * holds.
 */
export function trustAllowsRequest(
  document: PolicyDocument,
  request: AssumeRequest,
): boolean {
  const applies = (statement: PolicyStatement) =>
    principalMatches(statement, request.principal) &&
    actionMatches(statement, request.action) &&
    Object.entries(statement.Condition ?? {}).every(([op, block]) =>
      conditionHolds(op, block as Record<string, unknown>, request.context),
    );
  if (document.Statement.some(s => s.Effect === 'Deny' && applies(s)))
    return false;
  return document.Statement.some(s => s.Effect === 'Allow' && applies(s));
}

/**
 * Does this trust policy let the web identity assume the role? What IRSA
 * depends on: sts:AssumeRoleWithWebIdentity for the token's provider, with
 * the `:sub` and `:aud` condition keys of its issuer.
 */
export function trustAllows(
  document: PolicyDocument,
  context: WebIdentityContext,
): boolean {
  return trustAllowsRequest(document, {
    principal: { type: 'Federated', id: context.providerArn },
    action: 'sts:AssumeRoleWithWebIdentity',
    context: {
      [`${context.issuer}:sub`]: [context.sub],
      [`${context.issuer}:aud`]: context.aud,
    },
  });
}
