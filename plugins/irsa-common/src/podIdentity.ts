import type { PolicyDocument, PolicyStatement } from './report';

/** How a workload gets its role: IRSA (web identity) or EKS Pod Identity. */
export type IdentityMechanism = 'irsa' | 'pod-identity';

/** Every mechanism, in the order the template offers them. */
export const IDENTITY_MECHANISMS: readonly IdentityMechanism[] = [
  'irsa',
  'pod-identity',
];

/** Entity annotation naming the mechanism; absent means IRSA. */
export const ANNOTATION_IRSA_MECHANISM = 'irsa.dev/mechanism';

/** The service principal EKS Pod Identity assumes roles as. */
export const POD_IDENTITY_SERVICE_PRINCIPAL = 'pods.eks.amazonaws.com';
/** The audience of the token the Pod Identity agent exchanges. */
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
/** The EKS add-on that runs the Pod Identity agent (a DaemonSet in kube-system). */
export const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';
/** The actions a Pod Identity trust must allow: EKS tags every session. */
export const POD_IDENTITY_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:TagSession'];

/** Env variables EKS injects into pods of an associated ServiceAccount. */
export const POD_IDENTITY_ENV = {
  credentialsUri: 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  tokenFile: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
} as const;
/** Env variables the IRSA webhook injects. */
export const IRSA_ENV = {
  roleArn: 'AWS_ROLE_ARN',
  tokenFile: 'AWS_WEB_IDENTITY_TOKEN_FILE',
} as const;

/**
 * Session tags EKS Pod Identity sets on every session (unless the
 * association disables them); a trust pins the workload with them.
 */
export const POD_IDENTITY_SESSION_TAGS = {
  clusterArn: 'eks-cluster-arn',
  clusterName: 'eks-cluster-name',
  namespace: 'kubernetes-namespace',
  serviceAccount: 'kubernetes-service-account',
  podName: 'kubernetes-pod-name',
  podUid: 'kubernetes-pod-uid',
} as const;

/** Where a Pod Identity trust statement applies. */
export interface PodIdentityTrustInput {
  partition: string;
  accountId: string;
  region: string;
  /** The EKS cluster name in AWS. */
  clusterName: string;
  namespace: string;
  serviceAccount: string;
}

/** Sid of the statement {@link buildPodIdentityTrustStatement} builds. */
export const POD_IDENTITY_TRUST_SID = 'EksPodIdentity';

/**
 * The trust statement for EKS Pod Identity: the EKS service principal may
 * assume and tag, only for this cluster (source account and ARN) and only
 * for sessions EKS tagged with this namespace and ServiceAccount.
 */
export function buildPodIdentityTrustStatement(
  input: PodIdentityTrustInput,
): PolicyStatement {
  const clusterArn = `arn:${input.partition}:eks:${input.region}:${input.accountId}:cluster/${input.clusterName}`;
  return {
    Sid: POD_IDENTITY_TRUST_SID,
    Effect: 'Allow',
    Principal: { Service: POD_IDENTITY_SERVICE_PRINCIPAL },
    Action: [...POD_IDENTITY_TRUST_ACTIONS],
    Condition: {
      StringEquals: {
        'aws:SourceAccount': input.accountId,
        [`aws:RequestTag/${POD_IDENTITY_SESSION_TAGS.clusterName}`]:
          input.clusterName,
        [`aws:RequestTag/${POD_IDENTITY_SESSION_TAGS.namespace}`]:
          input.namespace,
        [`aws:RequestTag/${POD_IDENTITY_SESSION_TAGS.serviceAccount}`]:
          input.serviceAccount,
      },
      ArnEquals: { 'aws:SourceArn': clusterArn },
    },
  };
}

/** A trust policy holding only the Pod Identity statement. */
export function buildPodIdentityTrustPolicy(
  input: PodIdentityTrustInput,
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [buildPodIdentityTrustStatement(input)],
  };
}

/**
 * ServiceAccount annotation a migration writes at its first step and removes
 * at its last: the mechanism the workload is moving to.
 */
export const ANNOTATION_IRSA_MIGRATING_TO = 'irsa.dev/migrating-to';

/** What decides a workload's mechanism, read live. */
export interface MechanismSignals {
  /** The entity's `irsa.dev/mechanism` (what the template chose). */
  declared?: IdentityMechanism;
  /** The ServiceAccount's annotations (absent: no ServiceAccount). */
  serviceAccountAnnotations?: Record<string, string>;
  /** An EKS Pod Identity association exists for the ServiceAccount. */
  hasAssociation: boolean;
}

/**
 * The mechanism new pods actually get, and the migration under way if any.
 * A migration annotation wins (both mechanisms are wired on purpose); then
 * an association (when a ServiceAccount has both, the EKS pod identity
 * webhook gives container credentials precedence and injects only the Pod
 * Identity variables into new pods); then the role annotation; then what
 * the entity declares.
 */
export function effectiveMechanism(signals: MechanismSignals): {
  mechanism: IdentityMechanism;
  migratingFrom?: IdentityMechanism;
} {
  const annotations = signals.serviceAccountAnnotations ?? {};
  const migratingTo = annotations[ANNOTATION_IRSA_MIGRATING_TO];
  if (migratingTo === 'irsa' || migratingTo === 'pod-identity') {
    return {
      mechanism: migratingTo,
      migratingFrom: migratingTo === 'irsa' ? 'pod-identity' : 'irsa',
    };
  }
  if (signals.hasAssociation) return { mechanism: 'pod-identity' };
  if (annotations['eks.amazonaws.com/role-arn']) return { mechanism: 'irsa' };
  return { mechanism: signals.declared ?? 'irsa' };
}
