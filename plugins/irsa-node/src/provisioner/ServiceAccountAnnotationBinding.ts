import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  parseRoleArn,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../gateways/errors';
import type { ClusterGateway } from '../gateways/types';
import {
  OWNERSHIP,
  describeAdoption,
  ownershipFromServiceAccount,
} from './ownership';

/** The workload and role whose binding is looked for. */
export interface BindingLookup {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  entityRef: string;
  accountId: string;
  roleName: string;
  /** Delete the ServiceAccount itself (only when it is the entity's) instead of unbinding it. */
  deleteServiceAccount: boolean;
}

/** One binding of a workload to the role, and how to remove it. */
export interface RoleBinding {
  /** The mechanism's name; also part of the step's checkpoint key. */
  mechanism: string;
  /** What is removed, for the task log: "annotations … of ServiceAccount shop/cart". */
  description: string;
  /** Removes the binding; a binding already gone counts as removed. */
  remove(): Promise<void>;
}

/** What a mechanism found, with reads only. */
export interface BindingsFound {
  bindings: RoleBinding[];
  /** Resources that are not this entity's: the whole run is refused. */
  conflicts: string[];
  /** Things looked at and left alone, for the task log. */
  notes: string[];
}

/**
 * One way a workload gets the role's credentials: IRSA's ServiceAccount
 * annotation today; an EKS Pod Identity association would be another.
 * Decommissioning asks every mechanism and removes what they find before
 * any IAM change, so pods stop getting the role on their next start.
 */
export interface RoleBindingMechanism {
  readonly name: string;
  find(lookup: BindingLookup): Promise<BindingsFound>;
}

/** True when `arn` is a role ARN naming this role in this account (whatever its path). */
export function namesRole(arn: string, accountId: string, roleName: string) {
  try {
    const parts = parseRoleArn(arn, 'roleArn');
    return parts.accountId === accountId && parts.roleName === roleName;
  } catch {
    return false;
  }
}

/**
 * IRSA's binding: `eks.amazonaws.com/role-arn` (and `/audience`) on the
 * ServiceAccount, with this project's `irsa.dev/*` annotations and its
 * managed-by label. Only a ServiceAccount this entity owns is changed, and
 * only those keys; the ServiceAccount itself stays unless
 * `deleteServiceAccount` asks for it to go.
 */
export class ServiceAccountAnnotationBinding implements RoleBindingMechanism {
  readonly name = 'serviceaccount-annotation';

  constructor(private readonly kubernetes: ClusterGateway) {}

  async find(lookup: BindingLookup): Promise<BindingsFound> {
    const ref = `${lookup.namespace}/${lookup.serviceAccount}`;
    const found: BindingsFound = { bindings: [], conflicts: [], notes: [] };
    const account = await this.kubernetes.getServiceAccount(
      lookup.cluster,
      lookup.namespace,
      lookup.serviceAccount,
    );
    if (!account) {
      found.notes.push(
        `ServiceAccount ${ref} does not exist on ${lookup.cluster}: nothing to unbind`,
      );
      return found;
    }
    const ownership = ownershipFromServiceAccount(account);
    const boundArn = account.annotations[EKS_ROLE_ARN_ANNOTATION];
    const boundHere =
      boundArn !== undefined &&
      namesRole(boundArn, lookup.accountId, lookup.roleName);
    if (ownership.managed && ownership.entityRef !== lookup.entityRef) {
      found.conflicts.push(
        describeAdoption({
          kind: 'ServiceAccount',
          name: ref,
          fromEntityRef: ownership.entityRef ?? '(no entity recorded)',
          fromOwner: ownership.owner,
        }),
      );
      return found;
    }
    if (!ownership.managed) {
      // Deleting a role that an unmanaged ServiceAccount still names would
      // break workloads this project never touched.
      if (boundHere)
        found.conflicts.push(
          `ServiceAccount ${ref} is not managed by IRSA for Backstage but its ${EKS_ROLE_ARN_ANNOTATION} names role ${lookup.roleName}; remove that annotation where the ServiceAccount is declared, then run again`,
        );
      else
        found.notes.push(
          `ServiceAccount ${ref} carries no binding of this project to role ${lookup.roleName}: left alone`,
        );
      return found;
    }
    if (boundArn !== undefined && !boundHere) {
      found.notes.push(
        `ServiceAccount ${ref} is bound to another role (${boundArn}): left alone`,
      );
      return found;
    }
    if (lookup.deleteServiceAccount) {
      found.bindings.push({
        mechanism: this.name,
        description: `ServiceAccount ${ref}`,
        remove: async () => {
          try {
            // Refused by the API server if anyone changed it since it was read.
            await this.kubernetes.deleteServiceAccount(
              lookup.cluster,
              lookup.namespace,
              lookup.serviceAccount,
              { expectedResourceVersion: account.resourceVersion },
            );
          } catch (error) {
            if (!isGatewayError(error, 'not-found')) throw error;
          }
        },
      });
      return found;
    }
    const annotationKeys = Object.keys(account.annotations).filter(
      key =>
        key === EKS_ROLE_ARN_ANNOTATION ||
        key === EKS_AUDIENCE_ANNOTATION ||
        key.startsWith('irsa.dev/'),
    );
    found.bindings.push({
      mechanism: this.name,
      description: `annotations ${annotationKeys.join(', ')} and label ${OWNERSHIP.managedBy} of ServiceAccount ${ref}`,
      remove: async () => {
        try {
          // Guarded by the version just read: a change since is refused, not overwritten.
          await this.kubernetes.patchServiceAccountMetadata(
            lookup.cluster,
            lookup.namespace,
            lookup.serviceAccount,
            {
              annotations: Object.fromEntries(
                annotationKeys.map(key => [key, null]),
              ),
              // Present: ownership.managed is read from this label.
              labels: { [OWNERSHIP.managedBy]: null },
            },
            { expectedResourceVersion: account.resourceVersion },
          );
        } catch (error) {
          if (!isGatewayError(error, 'not-found')) throw error;
        }
      },
    });
    return found;
  }
}
