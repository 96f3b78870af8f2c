import type {
  IdentityMechanism,
  PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  ManagedPolicyInfo,
  PodIdentityAssociationInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { ClusterFacts } from '../service/types';
import type { ValidatedInput } from './input';
import type { Adoption } from './ownership';

/** A customer-managed policy the plan writes. */
export interface PlannedPolicy {
  name: string;
  arn: string;
  document: PolicyDocument;
  /** Present when it exists already (re-run or adopt). */
  existing?: ManagedPolicyInfo;
}

/** The EKS Pod Identity association the plan writes (mechanism pod-identity). */
export interface PlannedAssociation {
  /** The EKS cluster name in AWS. */
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  /** Cross-account: the role EKS chains into from `roleArn`. */
  targetRoleArn?: string;
  tags: Record<string, string>;
  /** The ServiceAccount's association, found by List + Describe. */
  existing?: PodIdentityAssociationInfo;
  /**
   * `create`: none exists; `update`: ours, another role (or session tags
   * off); `adopt`: another entity's or nobody's, retagged in place (same
   * id) and updated if it gives another role; `none`: up to date.
   */
  change: 'create' | 'update' | 'adopt' | 'none';
}

/** Everything apply() will do, computed with reads only. */
export interface ProvisionPlan {
  input: ValidatedInput;
  /** The input's mechanism, else the cluster's default. */
  mechanism: IdentityMechanism;
  target: AwsTarget;
  facts: ClusterFacts;
  roleName: string;
  roleArn: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  existingRole?: RoleInfo;
  existingServiceAccount?: ServiceAccountInfo;
  /** Resources this run takes over from another entity or from nobody. */
  adoptions: Adoption[];
  attachedPolicyArns: string[];
  toAttach: string[];
  /** Managed policies this project attached earlier and the input no longer names. */
  toDetach: string[];
  /** Attached by someone else: left alone and reported. */
  kept: string[];
  permissionsPolicy?: PlannedPolicy;
  allowlistPolicy: PlannedPolicy;
  serviceAccountAnnotations: Record<string, string>;
  serviceAccountLabels: Record<string, string>;
  /** The ServiceAccount manifest (written in `manifest` mode, printed in dry runs). */
  manifest: string;
  /** Pod Identity only. */
  association?: PlannedAssociation;
}

/** What a successful apply() produced: the action's outputs. */
export interface ProvisionResult {
  mechanism: IdentityMechanism;
  roleArn: string;
  roleName: string;
  policyArn?: string;
  allowlistPolicyArn: string;
  serviceAccountAnnotations: Record<string, string>;
  entityAnnotations: Record<string, string>;
  /** Managed policies attached by someone else, left in place. */
  keptPolicyArns: string[];
  manifest?: string;
  /** Pod Identity only: the ServiceAccount's association. */
  associationId?: string;
}

/** Who is running the provisioning: what it may do to existing resources. */
export interface ProvisionCaller {
  /** True when the caller holds `irsa.role.adopt` on this catalog entity. */
  mayAdopt(entityRef: string): Promise<boolean>;
  /**
   * True when the caller holds `irsa.role.update` on this catalog entity:
   * asked before a run changes resources the entity already has.
   */
  mayUpdate(entityRef: string): Promise<boolean>;
}

/** Narrates a run (the task log). */
export type Log = (message: string) => void;
