import {
  EKS_ROLE_ARN_ANNOTATION,
  parseRoleArn,
  type AttachedPolicy,
  type RoleArnParts,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  IamGateway,
  PodIdentityAssociationInfo,
  PodIdentityAssociationSummary,
  ServiceAccountInfo,
} from '../gateways/types';
import type { RoleArnSource, Source } from './sources';

/** The role a verification looks at, and where its ARN came from. */
export interface RoleReference {
  arn?: { arn: string; parts: RoleArnParts };
  source: RoleArnSource;
  /** Why the given ARN is not a role ARN (it is then not looked up). */
  problem?: string;
  /** The name GetRole looks up: only a role in the cluster's own account. */
  lookupName?: string;
}

/** The role an ARN names, looked up by name only in the cluster's own account. */
export function roleReference(
  given: string,
  source: RoleArnSource,
  cluster: { accountId: string; partition: string },
): RoleReference {
  let parts: RoleArnParts;
  try {
    parts = parseRoleArn(given, 'role ARN');
  } catch (error) {
    return {
      source,
      problem: (error as Error).message.replace(/^role ARN: /, ''),
    };
  }
  const inClusterAccount =
    parts.accountId === cluster.accountId &&
    parts.partition === cluster.partition;
  return {
    arn: { arn: given, parts },
    source,
    ...(inClusterAccount ? { lookupName: parts.roleName } : {}),
  };
}

function purposeOf(
  policyName: string,
  roleName: string,
): AttachedPolicy['purpose'] {
  if (policyName === roleName) return 'permissions';
  if (policyName === `${roleName}-allowlist`) return 'allowlist';
  return 'other';
}

/**
 * The role a verification looks at: the entity's ARN (known at once, so
 * GetRole runs beside the first reads), else the role of the
 * ServiceAccount's Pod Identity association (new pods get it), else the
 * ServiceAccount's role annotation, else the default name.
 */
export async function resolveRoleReference(input: {
  given?: string;
  serviceAccount: Promise<Source<ServiceAccountInfo | undefined>>;
  association: {
    listed: Promise<Source<PodIdentityAssociationSummary | undefined>>;
    detail: Promise<Source<PodIdentityAssociationInfo | undefined>>;
  };
  cluster: { accountId: string; partition: string };
  defaultName: string;
}): Promise<RoleReference> {
  const { given, cluster } = input;
  if (given !== undefined) return roleReference(given, 'entity', cluster);
  const listed = await input.association.listed;
  if (listed.ok && listed.value) {
    const detail = await input.association.detail;
    if (detail.ok && detail.value)
      return roleReference(detail.value.roleArn, 'association', cluster);
  }
  const account = await input.serviceAccount;
  const annotated = account.ok
    ? account.value?.annotations[EKS_ROLE_ARN_ANNOTATION]
    : undefined;
  return annotated
    ? roleReference(annotated, 'service-account', cluster)
    : { source: 'none', lookupName: input.defaultName };
}

/** Managed (with default version documents) and inline policies of the role. */
export async function readPolicies(
  iam: IamGateway,
  target: AwsTarget,
  roleName: string,
): Promise<AttachedPolicy[]> {
  const [attached, inlineNames] = await Promise.all([
    iam.listAttachedRolePolicies(target, roleName),
    iam.listRolePolicies(target, roleName),
  ]);
  const managed = Promise.all(
    attached.map(async ({ arn, name }): Promise<AttachedPolicy> => {
      const policy = await iam.getPolicy(target, arn);
      const document = await iam.getPolicyVersion(
        target,
        arn,
        policy.defaultVersionId,
      );
      return {
        kind: 'managed',
        name,
        arn,
        awsManaged: policy.awsManaged,
        versionId: policy.defaultVersionId,
        document,
        purpose: purposeOf(name, roleName),
      };
    }),
  );
  const inline = Promise.all(
    inlineNames.map(async (policyName): Promise<AttachedPolicy> => ({
      kind: 'inline',
      name: policyName,
      document: await iam.getRolePolicy(target, roleName, policyName),
      purpose: purposeOf(policyName, roleName),
    })),
  );
  return [...(await managed), ...(await inline)];
}
