import { POD_IDENTITY_AGENT_ADDON } from '@backstage-irsa/plugin-irsa-common';
import type { SandboxCluster } from './state';

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
