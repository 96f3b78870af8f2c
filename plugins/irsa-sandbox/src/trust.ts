import {
  iamWildcardToRegExp,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';

/** The request context STS evaluates a trust policy against. */
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

// A condition key's value(s) from the token, or undefined when absent.
function contextValues(
  key: string,
  context: WebIdentityContext,
): string[] | undefined {
  if (key === `${context.issuer}:sub`) return [context.sub];
  if (key === `${context.issuer}:aud`) return context.aud;
  if (key === `${context.issuer}:amr`) return undefined;
  return undefined;
}

function conditionHolds(
  operator: string,
  block: Record<string, unknown>,
  context: WebIdentityContext,
): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = operator
    .replace(/IfExists$/, '')
    .replace(/^ForAnyValue:|^ForAllValues:/, '');
  return Object.entries(block).every(([key, expected]) => {
    const actual = contextValues(key, context);
    if (actual === undefined) return ifExists || base.startsWith('StringNot');
    const patterns = list(expected);
    const matches = (value: string) =>
      patterns.some(p =>
        base === 'StringLike' || base === 'StringNotLike'
          ? iamWildcardToRegExp(p).test(value)
          : p === value,
      );
    switch (base) {
      case 'StringEquals':
      case 'StringLike':
        return actual.some(matches);
      case 'StringNotEquals':
      case 'StringNotLike':
        return !actual.some(matches);
      default:
        return false; // an operator the sandbox does not model never grants
    }
  });
}

/**
 * Does this trust policy let the web identity assume the role? Models what
 * IRSA depends on: an Allow for sts:AssumeRoleWithWebIdentity whose Federated
 * principal is the token's provider and whose conditions hold; any matching
 * Deny wins.
 */
export function trustAllows(
  document: PolicyDocument,
  context: WebIdentityContext,
): boolean {
  const applies = (statement: PolicyDocument['Statement'][number]) => {
    const principal = statement.Principal;
    let federated: string[] = [];
    if (principal === '*') federated = ['*'];
    else if (principal) federated = list(principal.Federated);
    const actions = list(statement.Action);
    return (
      (federated.includes(context.providerArn) || federated.includes('*')) &&
      actions.some(
        a =>
          a === '*' || a === 'sts:*' || a === 'sts:AssumeRoleWithWebIdentity',
      ) &&
      Object.entries(statement.Condition ?? {}).every(([op, block]) =>
        conditionHolds(op, block as Record<string, unknown>, context),
      )
    );
  };
  if (document.Statement.some(s => s.Effect === 'Deny' && applies(s)))
    return false;
  return document.Statement.some(s => s.Effect === 'Allow' && applies(s));
}
