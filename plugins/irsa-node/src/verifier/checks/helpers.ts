import type {
  AttachedPolicy,
  EvidenceValue,
  PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import type { RoleInfo } from '../../gateways/types';
import type { ClusterFacts } from '../../service/types';
import { shellQuote } from '../shell';

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
export function webIdentityStatements(role: RoleInfo): PolicyStatement[] {
  return role.trustPolicy.Statement.filter(
    s =>
      s.Effect === 'Allow' &&
      list(s.Action).some(
        a =>
          a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*' || a === '*',
      ),
  );
}

/** Those of them whose federated principal is the cluster's OIDC provider. */
export function trustedStatements(
  role: RoleInfo,
  facts: ClusterFacts,
): PolicyStatement[] {
  return webIdentityStatements(role).filter(s => {
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
