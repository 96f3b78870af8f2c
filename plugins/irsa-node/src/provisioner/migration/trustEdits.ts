import {
  POD_IDENTITY_SERVICE_PRINCIPAL,
  type PolicyDocument,
  type PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import { list } from '../../verifier/checks/helpers';

/*
 * Edits of a role's trust policy that touch one statement and keep every
 * other statement, and the document's key order, as they were.
 */

/** JSON with every object's keys sorted: equal for equal documents whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => a.localeCompare(b, 'en')),
        )
      : v,
  );
}

/** True for a statement that lets EKS Pod Identity assume the role. */
export function isPodIdentityStatement(statement: PolicyStatement): boolean {
  const principal = statement.Principal;
  return (
    statement.Effect === 'Allow' &&
    typeof principal === 'object' &&
    list(principal.Service).includes(POD_IDENTITY_SERVICE_PRINCIPAL)
  );
}

/** True for a statement that lets this OIDC provider assume the role with a web identity. */
export function isWebIdentityStatementOf(
  statement: PolicyStatement,
  oidcProviderArn: string,
): boolean {
  const principal = statement.Principal;
  return (
    statement.Effect === 'Allow' &&
    typeof principal === 'object' &&
    list(principal.Federated).includes(oidcProviderArn) &&
    list(statement.Action).includes('sts:AssumeRoleWithWebIdentity')
  );
}

/**
 * The document with `statement` in it: unchanged when an equal statement is
 * there; otherwise appended, replacing a statement with the same Sid (Sids
 * are unique within a policy).
 */
export function withStatement(
  document: PolicyDocument,
  statement: PolicyStatement,
): PolicyDocument {
  const wanted = canonical(statement);
  if (document.Statement.some(s => canonical(s) === wanted)) return document;
  return {
    ...document,
    Statement: [
      ...document.Statement.filter(
        s => statement.Sid === undefined || s.Sid !== statement.Sid,
      ),
      statement,
    ],
  };
}

/** The document without the statements `remove` matches (unchanged when none does). */
export function withoutStatements(
  document: PolicyDocument,
  remove: (statement: PolicyStatement) => boolean,
): PolicyDocument {
  if (!document.Statement.some(remove)) return document;
  return { ...document, Statement: document.Statement.filter(s => !remove(s)) };
}
