import { isGatewayError } from '../gateways/errors';
import type { EksGateway } from '../gateways/types';
import type { ClusterRegistry } from '../service/types';
import { describeAdoption } from './ownership';
import {
  associationLookup,
  associationName,
  associationOwnership,
  associationRefusal,
  findPodIdentityAssociation,
} from './podIdentityAssociation';
import {
  namesRole,
  type BindingLookup,
  type BindingsFound,
  type RoleBindingMechanism,
} from './ServiceAccountAnnotationBinding';

/**
 * EKS Pod Identity's binding: the ServiceAccount's association (found by
 * List + Describe). Only an association this entity owns that gives the
 * role is deleted; one of another entity refuses the run, and one nobody
 * manages that gives the role refuses it too (deleting the role would
 * break a workload this project never touched).
 */
export class PodIdentityAssociationBinding implements RoleBindingMechanism {
  readonly name = 'pod-identity-association';

  constructor(
    private readonly eks: EksGateway,
    private readonly clusters: ClusterRegistry,
  ) {}

  async find(lookup: BindingLookup): Promise<BindingsFound> {
    const found: BindingsFound = { bindings: [], conflicts: [], notes: [] };
    const where = associationLookup(
      this.clusters.get(lookup.cluster),
      lookup.namespace,
      lookup.serviceAccount,
    );
    const association = await findPodIdentityAssociation(this.eks, where);
    if (!association) return found;
    const name = associationName(association);
    const givesRole = namesRole(
      association.roleArn,
      lookup.accountId,
      lookup.roleName,
    );
    const refusal = associationRefusal(association);
    const ownership = associationOwnership(association);
    if (refusal) {
      if (givesRole) found.conflicts.push(refusal);
      else found.notes.push(`${refusal}: left alone`);
      return found;
    }
    if (ownership.managed && ownership.entityRef !== lookup.entityRef) {
      found.conflicts.push(
        describeAdoption({
          kind: 'Pod Identity association',
          name,
          fromEntityRef: ownership.entityRef ?? '(no entity recorded)',
          fromOwner: ownership.owner,
        }),
      );
      return found;
    }
    if (!ownership.managed) {
      if (givesRole)
        found.conflicts.push(
          `Pod Identity association ${name} is not managed by IRSA for Backstage but gives role ${lookup.roleName}; delete it where it is declared (or adopt it with aws:irsa:create), then run again`,
        );
      else
        found.notes.push(
          `Pod Identity association ${name} is not managed by IRSA for Backstage and gives another role: left alone`,
        );
      return found;
    }
    if (!givesRole) {
      found.notes.push(
        `Pod Identity association ${name} gives another role (${association.roleArn}): left alone`,
      );
      return found;
    }
    found.bindings.push({
      mechanism: this.name,
      description: `Pod Identity association ${name}`,
      remove: async () => {
        try {
          await this.eks.deletePodIdentityAssociation(
            where.target,
            where.clusterName,
            association.associationId,
          );
        } catch (error) {
          if (!isGatewayError(error, 'not-found')) throw error;
        }
      },
    });
    return found;
  }
}
