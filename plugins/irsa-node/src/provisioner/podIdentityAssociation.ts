import {
  POD_IDENTITY_SERVICE_PRINCIPAL,
  buildPodIdentityTrustPolicy,
  type IdentityMechanism,
  type PodIdentityTrustInput,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  EksGateway,
  PodIdentityAssociationInfo,
} from '../gateways/types';
import type { IrsaCluster } from '../service/types';
import {
  adoptionNeeded,
  ownershipFromTags,
  type Adoption,
  type Ownership,
} from './ownership';

/*
 * EKS Pod Identity associations as this project writes them: found again by
 * ServiceAccount (List, then Describe, as List carries no role), owned
 * through the same irsa.dev/* tags as roles and policies. The provisioner,
 * the decommissioner and the migration share these.
 */

/** Where the Pod Identity trust of a ServiceAccount of this cluster applies. */
export function podIdentityTrustInput(
  cluster: IrsaCluster,
  namespace: string,
  serviceAccount: string,
): PodIdentityTrustInput {
  return {
    partition: cluster.partition,
    accountId: cluster.accountId,
    region: cluster.region,
    clusterName: cluster.eksClusterName,
    namespace,
    serviceAccount,
  };
}

/** The trust policy of a Pod Identity role for one ServiceAccount of this cluster. */
export function podIdentityTrustPolicy(
  cluster: IrsaCluster,
  namespace: string,
  serviceAccount: string,
): PolicyDocument {
  return buildPodIdentityTrustPolicy(
    podIdentityTrustInput(cluster, namespace, serviceAccount),
  );
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? [] : [value].flat();

/**
 * The mechanisms a trust policy lets assume the role: `irsa` for an Allow of
 * sts:AssumeRoleWithWebIdentity by a federated principal, `pod-identity` for
 * an Allow to the EKS Pod Identity service principal.
 */
export function trustedMechanisms(trust: PolicyDocument): IdentityMechanism[] {
  const found = new Set<IdentityMechanism>();
  for (const statement of trust.Statement) {
    if (statement.Effect !== 'Allow' || !statement.Principal) continue;
    if (statement.Principal === '*') continue;
    const actions = asList(statement.Action);
    if (
      asList(statement.Principal.Federated).length &&
      actions.some(a => a === 'sts:AssumeRoleWithWebIdentity')
    )
      found.add('irsa');
    if (
      asList(statement.Principal.Service).includes(
        POD_IDENTITY_SERVICE_PRINCIPAL,
      )
    )
      found.add('pod-identity');
  }
  return [...found].sort();
}

/** Which ServiceAccount of which EKS cluster an association is looked for. */
export interface AssociationLookup {
  target: AwsTarget;
  /** The EKS cluster name in AWS (`eksClusterName`). */
  clusterName: string;
  namespace: string;
  serviceAccount: string;
}

/** The lookup of a ServiceAccount of a configured cluster. */
export function associationLookup(
  cluster: IrsaCluster,
  namespace: string,
  serviceAccount: string,
): AssociationLookup {
  return {
    target: { accountId: cluster.accountId, region: cluster.region },
    clusterName: cluster.eksClusterName,
    namespace,
    serviceAccount,
  };
}

/**
 * The association of a ServiceAccount, or undefined: ListPodIdentityAssociations
 * filtered by namespace and ServiceAccount, then DescribePodIdentityAssociation
 * (EKS allows one association per ServiceAccount).
 */
export async function findPodIdentityAssociation(
  eks: EksGateway,
  lookup: AssociationLookup,
): Promise<PodIdentityAssociationInfo | undefined> {
  const { target, clusterName, namespace, serviceAccount } = lookup;
  const summaries = await eks.listPodIdentityAssociations(target, clusterName, {
    namespace,
    serviceAccount,
  });
  const summary = summaries.find(
    s => s.namespace === namespace && s.serviceAccount === serviceAccount,
  );
  if (!summary) return undefined;
  return eks.describePodIdentityAssociation(
    target,
    clusterName,
    summary.associationId,
  );
}

/** "Pod Identity association a-123 of shop/cart". */
export function associationName(association: {
  associationId: string;
  namespace: string;
  serviceAccount: string;
}): string {
  return `${association.associationId} of ${association.namespace}/${association.serviceAccount}`;
}

/** Ownership recorded in the association's tags. */
export function associationOwnership(
  association: PodIdentityAssociationInfo,
): Ownership {
  return ownershipFromTags(association.tags);
}

/**
 * Undefined when the association is this entity's; otherwise what taking it
 * over needs (`adopt`, like a role of another entity or of nobody).
 */
export function associationAdoption(
  association: PodIdentityAssociationInfo,
  entityRef: string,
): Adoption | undefined {
  return adoptionNeeded(
    'Pod Identity association',
    associationName(association),
    associationOwnership(association),
    entityRef,
  );
}

/**
 * Why no run may change this association, whatever it adopts: an EKS
 * add-on owns it (`ownerArn`) and would put it back.
 */
export function associationRefusal(
  association: PodIdentityAssociationInfo,
): string | undefined {
  if (!association.ownerArn) return undefined;
  return `Pod Identity association ${associationName(association)} is owned by the EKS add-on ${association.ownerArn}; change it through the add-on`;
}

/** True when the association gives the ServiceAccount this role (and this target role). */
export function associationTargets(
  association: PodIdentityAssociationInfo,
  roleArn: string,
  targetRoleArn?: string,
): boolean {
  return (
    association.roleArn === roleArn &&
    (association.targetRoleArn ?? '') === (targetRoleArn ?? '')
  );
}
