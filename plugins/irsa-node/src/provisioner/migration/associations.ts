import type {
  AwsTarget,
  EksGateway,
  PodIdentityAssociationInfo,
} from '../../gateways/types';
import { OWNERSHIP, ownershipFromTags } from '../ownership';

/**
 * Every Pod Identity association of the ServiceAccount, described (List
 * leaves the role and the tags out).
 */
export async function readAssociations(
  eks: EksGateway,
  target: AwsTarget,
  eksClusterName: string,
  namespace: string,
  serviceAccount: string,
): Promise<PodIdentityAssociationInfo[]> {
  const summaries = await eks.listPodIdentityAssociations(
    target,
    eksClusterName,
    { namespace, serviceAccount },
  );
  return Promise.all(
    summaries
      .filter(
        s => s.namespace === namespace && s.serviceAccount === serviceAccount,
      )
      .map(s =>
        eks.describePodIdentityAssociation(
          target,
          eksClusterName,
          s.associationId,
        ),
      ),
  );
}

/**
 * Why an association is not this entity's to migrate, or nothing: an EKS
 * add-on's, another entity's or nobody's, one for another role, or one that
 * chains into another account's role (moving that to IRSA would change
 * which role the pods get).
 */
export function associationConflict(
  association: PodIdentityAssociationInfo,
  expected: { entityRef: string; roleArn: string },
): string | undefined {
  const name = `Pod Identity association ${association.associationId}`;
  if (association.ownerArn)
    return `${name} is managed by the EKS add-on ${association.ownerArn}`;
  const ownership = ownershipFromTags(association.tags);
  if (!ownership.managed)
    return `${name} exists and is not managed by IRSA for Backstage`;
  if (ownership.entityRef !== expected.entityRef)
    return `${name} belongs to ${ownership.entityRef}${ownership.owner ? ` (owner ${ownership.owner})` : ''}`;
  if (association.roleArn !== expected.roleArn)
    return `${name} targets role ${association.roleArn}, not ${expected.roleArn}`;
  if (association.targetRoleArn)
    return `${name} chains into ${association.targetRoleArn} (cross-account); migrating it would change the role its pods get`;
  return undefined;
}

/** The tags a migration writes on the association it creates: the role's ownership, and the platform's. */
export function associationTags(
  roleTags: Record<string, string>,
  platformTags: Record<string, string>,
): Record<string, string> {
  return {
    ...platformTags,
    ...Object.fromEntries(
      Object.values(OWNERSHIP)
        .filter(key => roleTags[key] !== undefined)
        .map(key => [key, roleTags[key]]),
    ),
  };
}
