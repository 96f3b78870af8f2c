import type { PodIdentityAssociationInfo } from '../../gateways/types';
import { OWNERSHIP, describeAdoption } from '../ownership';
import {
  associationAdoption,
  associationName,
  associationRefusal,
  associationTargets,
} from '../podIdentityAssociation';

/**
 * Why an association is not this entity's to migrate, or nothing: an EKS
 * add-on's, another entity's or nobody's (a migration never adopts), one
 * that chains into another account's role (moving that to IRSA would
 * change the role the pods get), or one for another role.
 */
export function associationConflict(
  association: PodIdentityAssociationInfo,
  expected: { entityRef: string; roleArn: string },
): string | undefined {
  const refusal = associationRefusal(association);
  if (refusal) return refusal;
  const adoption = associationAdoption(association, expected.entityRef);
  if (adoption) return describeAdoption(adoption);
  const name = `Pod Identity association ${associationName(association)}`;
  if (association.targetRoleArn)
    return `${name} chains into ${association.targetRoleArn} (cross-account); migrating it would change the role its pods get`;
  if (!associationTargets(association, expected.roleArn))
    return `${name} targets role ${association.roleArn}, not ${expected.roleArn}`;
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
