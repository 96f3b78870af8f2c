import type {
  AttachedPolicy,
  EvidenceValue,
  PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import { shellQuote } from '../shell';
import type { Evidence, Source } from '../sources';

/** A source's value; the runner only runs a check once its sources were read. */
export const value = <T>(source: Source<T>): T =>
  (source as { value: T }).value;

/** An IAM string-or-list field as a list. */
export const list = (v: string | string[] | undefined) =>
  v === undefined ? [] : [v].flat();

/** A plain JSON copy, for evidence. */
export const json = (v: unknown) =>
  JSON.parse(JSON.stringify(v ?? null)) as EvidenceValue;

/** Shell-quotes a value for a copy-pasteable remediation. */
export const q = shellQuote;

export const TEMPLATE_HINT =
  'run the IRSA template (aws:irsa:create) for this entity to create the role and annotate the ServiceAccount';

/** The trust statements that allow AssumeRoleWithWebIdentity. */
export function webIdentityStatements(e: Evidence): PolicyStatement[] {
  return value(e.role)!.trustPolicy.Statement.filter(
    s =>
      s.Effect === 'Allow' &&
      list(s.Action).some(
        a =>
          a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*' || a === '*',
      ),
  );
}

/** Those of them whose federated principal is the cluster's OIDC provider. */
export function trustedStatements(e: Evidence): PolicyStatement[] {
  const facts = value(e.facts);
  return webIdentityStatements(e).filter(s => {
    const principal = s.Principal;
    return (
      principal !== undefined &&
      principal !== '*' &&
      list(principal.Federated).includes(facts.oidcProviderArn)
    );
  });
}

/** The condition values for a key under each operator of the trust statements. */
export function conditionValues(statements: PolicyStatement[], key: string) {
  const found: Array<{ operator: string; values: string[] }> = [];
  for (const statement of statements) {
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      if (key in block)
        found.push({ operator, values: list(block[key] as string | string[]) });
    }
  }
  return found;
}

/** True for the allowlist policy: a Deny conditioned on aws:SourceIp. */
export function isAllowlist(policy: AttachedPolicy): boolean {
  return Boolean(
    policy.document?.Statement.some(
      s =>
        s.Effect === 'Deny' &&
        Object.values(s.Condition ?? {}).some(block => 'aws:SourceIp' in block),
    ),
  );
}
