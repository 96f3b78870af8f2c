import {
  POD_IDENTITY_AGENT_ADDON,
  POD_IDENTITY_AUDIENCE,
  POD_IDENTITY_ENV,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  EksAuthGateway,
  PodIdentityExchangeResult,
} from '@backstage-irsa/plugin-irsa-node';
import { POD_IDENTITY_CREDENTIALS_URI } from './podWebhook';
import { sandboxError, type SandboxCluster, type SandboxState } from './state';

/** Where the add-on runs its agent. */
const AGENT_NAMESPACE = 'kube-system';

/** What {@link setPodIdentityAgent} installs: the add-on's status and its DaemonSet's rollout. */
export interface SandboxPodIdentityAgent {
  /** DescribeAddon's status (default `ACTIVE`). */
  status?: string;
  /** Nodes the DaemonSet should run on (default 3). */
  desired?: number;
  /** Agent pods ready (default: all). */
  ready?: number;
}

/**
 * Installs the `eks-pod-identity-agent` add-on and its DaemonSet in
 * kube-system, as EKS does, or (with `null`) removes both.
 */
export function setPodIdentityAgent(
  cluster: SandboxCluster,
  agent: SandboxPodIdentityAgent | null,
): void {
  const key = `${AGENT_NAMESPACE}/${POD_IDENTITY_AGENT_ADDON}`;
  if (!agent) {
    cluster.addons.delete(POD_IDENTITY_AGENT_ADDON);
    cluster.daemonSets.delete(key);
    return;
  }
  const version = 'v1.3.8-eksbuild.2';
  cluster.addons.set(POD_IDENTITY_AGENT_ADDON, {
    name: POD_IDENTITY_AGENT_ADDON,
    status: agent.status ?? 'ACTIVE',
    version,
  });
  const desired = agent.desired ?? 3;
  cluster.daemonSets.set(key, {
    namespace: AGENT_NAMESPACE,
    name: POD_IDENTITY_AGENT_ADDON,
    desiredNumberScheduled: desired,
    numberReady: agent.ready ?? desired,
    // EKS pulls add-on images from its regional ECR account.
    image: `602401143452.dkr.ecr.${cluster.region}.amazonaws.com/eks/eks-pod-identity-agent:0.1.29`,
  });
}

const ENDPOINT_OPERATION = `agent:GET ${POD_IDENTITY_CREDENTIALS_URI}`;

/**
 * What a pod's SDK gets from `AWS_CONTAINER_CREDENTIALS_FULL_URI`: the
 * agent on its node exchanges the pod's projected token with EKS Auth.
 * Nothing answers on a cluster without a ready agent DaemonSet (the
 * webhook wires pods there all the same); Fargate and Windows pods are
 * never wired.
 */
export async function fetchThroughAgent(
  state: SandboxState,
  eksAuth: EksAuthGateway,
  cluster: SandboxCluster,
  namespace: string,
  podName: string,
): Promise<PodIdentityExchangeResult> {
  const refused = (why: string) =>
    sandboxError(
      'unavailable',
      ENDPOINT_OPERATION,
      'ECONNREFUSED',
      `connect ECONNREFUSED 169.254.170.23:80 (${why})`,
    );
  const pod = cluster.pods.find(
    p => p.namespace === namespace && p.name === podName,
  );
  if (!pod) {
    throw sandboxError(
      'not-found',
      ENDPOINT_OPERATION,
      '404',
      `pods "${podName}" not found`,
    );
  }
  const wired = pod.containers.some(
    c => c.env[POD_IDENTITY_ENV.credentialsUri] !== undefined,
  );
  if (!wired) {
    throw sandboxError(
      'invalid-input',
      ENDPOINT_OPERATION,
      'NotWired',
      `pod ${namespace}/${podName} has no ${POD_IDENTITY_ENV.credentialsUri}: it was created without Pod Identity`,
    );
  }
  const agent = cluster.daemonSets.get(
    `${AGENT_NAMESPACE}/${POD_IDENTITY_AGENT_ADDON}`,
  );
  if (!agent || agent.numberReady === 0) {
    throw refused(`no ${POD_IDENTITY_AGENT_ADDON} is ready on ${cluster.name}`);
  }
  const account = cluster.serviceAccounts.get(
    `${namespace}/${pod.serviceAccountName}`,
  );
  if (!account) {
    throw sandboxError(
      'not-found',
      ENDPOINT_OPERATION,
      '404',
      `serviceaccounts "${pod.serviceAccountName}" not found`,
    );
  }
  // The kubelet's projected token for the pod, as the agent reads it.
  const { token } = state.mintServiceAccountToken(cluster, account, {
    audience: POD_IDENTITY_AUDIENCE,
    expirationSeconds: 86400,
    pod: { name: pod.name, uid: pod.uid },
  });
  return eksAuth.assumeRoleForPodIdentity(
    { accountId: cluster.accountId, region: cluster.region },
    cluster.name,
    token,
  );
}
