import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  ManagedPolicyInfo,
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

/** Everything apply() will do, computed with reads only. */
export interface ProvisionPlan {
  input: ValidatedInput;
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
}

/** What a successful apply() produced: the action's outputs. */
export interface ProvisionResult {
  roleArn: string;
  roleName: string;
  policyArn?: string;
  allowlistPolicyArn: string;
  serviceAccountAnnotations: Record<string, string>;
  entityAnnotations: Record<string, string>;
  /** Managed policies attached by someone else, left in place. */
  keptPolicyArns: string[];
  manifest?: string;
}

/** Who is running the provisioning, as far as adopting goes. */
export interface ProvisionCaller {
  /** True when the caller holds `irsa.role.adopt` on this catalog entity. */
  mayAdopt(entityRef: string): Promise<boolean>;
}

/** Narrates a run (the task log). */
export type Log = (message: string) => void;
