import { ConflictError } from '@backstage/errors';
import {
  EKS_ROLE_ARN_ANNOTATION,
  POD_IDENTITY_AGENT_ADDON,
  POD_IDENTITY_TRUST_ACTIONS,
  type IdentityMechanism,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../gateways/errors';
import type {
  PodIdentityAssociationInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { IrsaCluster, IrsaService } from '../service/types';
import type { ValidatedInput } from './input';
import {
  associationAdoption,
  associationLookup,
  associationRefusal,
  associationTargets,
  findPodIdentityAssociation,
  trustedMechanisms,
} from './podIdentityAssociation';
import type { Adoption } from './ownership';
import type { PlannedAssociation } from './provisionTypes';
import { readTargetRole, type TargetRoleEvidence } from './targetRole';

/** What the Pod Identity part of a plan reads, beside the plan's other reads. */
export interface PodIdentityReads {
  association?: PodIdentityAssociationInfo;
  /** The agent add-on's status, `NOT_INSTALLED`, or undefined when it could not be read. */
  agentStatus?: string;
  targetRole?: TargetRoleEvidence;
}

/** The ServiceAccount's association, the agent add-on and the target role, read together. */
export async function readPodIdentity(
  service: IrsaService,
  cluster: IrsaCluster,
  input: ValidatedInput,
): Promise<PodIdentityReads> {
  const lookup = associationLookup(
    cluster,
    input.namespace,
    input.serviceAccount,
  );
  const [association, agentStatus, targetRole] = await Promise.all([
    findPodIdentityAssociation(service.eks, lookup),
    service.eks
      .describeAddon(
        lookup.target,
        lookup.clusterName,
        POD_IDENTITY_AGENT_ADDON,
      )
      .then(
        addon => addon.status,
        // Only a warning: the agent may run self-managed, and the checks tell.
        error =>
          isGatewayError(error, 'not-found') ? 'NOT_INSTALLED' : undefined,
      ),
    input.targetRoleArn
      ? readTargetRole(service.iam, cluster.region, input.targetRoleArn)
      : undefined,
  ]);
  return { association, agentStatus, targetRole };
}

/** The warning to log about the agent, if any: pods get no credentials without it. */
export function agentWarning(
  cluster: IrsaCluster,
  agentStatus: string | undefined,
): string | undefined {
  const addon = `the ${POD_IDENTITY_AGENT_ADDON} add-on of ${cluster.eksClusterName}`;
  if (agentStatus === 'ACTIVE') return undefined;
  if (agentStatus === undefined)
    return `Warning: could not read ${addon}; pods get Pod Identity credentials only where the agent runs`;
  if (agentStatus === 'NOT_INSTALLED')
    return `Warning: ${addon} is not installed; pods get no Pod Identity credentials until the agent runs (as that add-on or a self-managed DaemonSet)`;
  return `Warning: ${addon} is ${agentStatus}, not ACTIVE; pods may get no Pod Identity credentials`;
}

/**
 * The association the plan writes and, when it is not this entity's, what
 * adopting it takes. An association an EKS add-on owns is refused outright.
 */
export function planAssociation(options: {
  cluster: IrsaCluster;
  input: ValidatedInput;
  existing?: PodIdentityAssociationInfo;
  roleArn: string;
  tags: Record<string, string>;
}): { association: PlannedAssociation; adoption?: Adoption } {
  const { cluster, input, existing, roleArn } = options;
  const refusal = existing && associationRefusal(existing);
  if (refusal)
    throw new ConflictError(
      `${refusal}; aws:irsa:create cannot take it over. Nothing was written`,
    );
  const adoption = existing && associationAdoption(existing, input.entityRef);
  let change: PlannedAssociation['change'] = 'create';
  if (existing && adoption) change = 'adopt';
  else if (existing)
    change =
      associationTargets(existing, roleArn, input.targetRoleArn) &&
      !existing.disableSessionTags
        ? 'none'
        : 'update';
  return {
    association: {
      clusterName: cluster.eksClusterName,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      roleArn,
      ...(input.targetRoleArn ? { targetRoleArn: input.targetRoleArn } : {}),
      tags: options.tags,
      ...(existing ? { existing } : {}),
      change,
    },
    ...(adoption ? { adoption } : {}),
  };
}

const MECHANISM_NAMES: Record<IdentityMechanism, string> = {
  irsa: 'IRSA (web identity)',
  'pod-identity': 'EKS Pod Identity',
};

/**
 * Refuses a run that would switch a workload between mechanisms in one
 * step, which breaks its running pods: a role whose trust serves the other
 * mechanism, or (for Pod Identity) a ServiceAccount still annotated for
 * IRSA, which the SDKs would keep using (web identity comes before
 * container credentials in their chains).
 */
export function checkMechanismSwitch(options: {
  mechanism: IdentityMechanism;
  existingRole?: RoleInfo;
  existingServiceAccount?: ServiceAccountInfo;
}) {
  const { mechanism, existingRole, existingServiceAccount } = options;
  const reasons: string[] = [];
  const other = existingRole
    ? trustedMechanisms(existingRole.trustPolicy).filter(m => m !== mechanism)
    : [];
  if (existingRole && other.length)
    reasons.push(
      `role ${existingRole.name} is trusted for ${other.map(m => MECHANISM_NAMES[m]).join(' and ')}`,
    );
  const annotated =
    existingServiceAccount?.annotations[EKS_ROLE_ARN_ANNOTATION];
  if (mechanism === 'pod-identity' && annotated)
    reasons.push(
      `ServiceAccount ${existingServiceAccount.namespace}/${existingServiceAccount.name} carries ${EKS_ROLE_ARN_ANNOTATION} (${annotated}), and the SDKs use IRSA before Pod Identity`,
    );
  if (reasons.length)
    throw new ConflictError(
      `${reasons.join('; ')}. aws:irsa:create provisions ${MECHANISM_NAMES[mechanism]} and does not switch a running service between mechanisms: run aws:irsa:migrate, which keeps both working while the pods move. Nothing was written`,
    );
}

/**
 * The permissions document of a chaining role: the template's statements
 * (if any) and the right to assume and tag the target role, which EKS
 * exercises with this role's credentials.
 */
export function withTargetRoleGrant(
  policy: PolicyDocument | undefined,
  targetRoleArn: string,
): PolicyDocument {
  return {
    Version: policy?.Version ?? '2012-10-17',
    ...(policy?.Id ? { Id: policy.Id } : {}),
    Statement: [
      ...(policy?.Statement ?? []),
      {
        Sid: 'AssumePodIdentityTargetRole',
        Effect: 'Allow',
        Action: [...POD_IDENTITY_TRUST_ACTIONS],
        Resource: targetRoleArn,
      },
    ],
  };
}

/**
 * The allowlist of a chaining role: everything but the target role. EKS
 * assumes the target role with this role's credentials from its own
 * network, not the cluster's, so that one call is left to the target's
 * trust (this role and the association's external id) and the target's
 * own allowlist, which still binds the credentials the pods get.
 */
export function allowlistForChain(
  allowlist: PolicyDocument,
  targetRoleArn: string,
): PolicyDocument {
  return {
    ...allowlist,
    Statement: allowlist.Statement.map(({ Resource: _all, ...statement }) => ({
      ...statement,
      NotResource: targetRoleArn,
    })),
  };
}
