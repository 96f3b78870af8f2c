import {
  IRSA_ENV,
  POD_IDENTITY_ENV,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { ContainerInfo, PodInfo } from '../../gateways/types';

/*
 * Which credentials a pod's containers were given at creation, read from
 * their environment: the injection checks, the conflict check and the
 * migration's progress all count pods the same way.
 */

/** Pod annotation naming containers the EKS pod identity webhook leaves alone. */
export const SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';

/**
 * The containers the webhook wires: all but those the pod's
 * `eks.amazonaws.com/skip-containers` names (comma-separated), which never
 * get credentials and must not count as missing them.
 */
export function wiredContainers(pod: PodInfo): ContainerInfo[] {
  const skipped = new Set(
    (pod.annotations[SKIP_CONTAINERS_ANNOTATION] ?? '')
      .split(',')
      .map(name => name.trim())
      .filter(Boolean),
  );
  return pod.containers.filter(c => !skipped.has(c.name));
}

/** The pods the injection checks look at: running ones, and those about to run. */
export function livePods(pods: readonly PodInfo[]): PodInfo[] {
  return pods.filter(p => p.phase === 'Running' || p.phase === 'Pending');
}

const has = (container: ContainerInfo, name: string) =>
  Object.hasOwn(container.env, name);

/** Both IRSA variables are set. */
export function hasIrsaEnv(container: ContainerInfo): boolean {
  return has(container, IRSA_ENV.roleArn) && has(container, IRSA_ENV.tokenFile);
}

/** Both Pod Identity variables are set. */
export function hasPodIdentityEnv(container: ContainerInfo): boolean {
  return (
    has(container, POD_IDENTITY_ENV.credentialsUri) &&
    has(container, POD_IDENTITY_ENV.tokenFile)
  );
}

/**
 * The mechanism a container's AWS SDK uses. With both sets of variables the
 * web identity wins: the default chains of the SDKs for JavaScript v3, Java
 * v2, Python (botocore) and Go v2 try it before container credentials.
 */
export function containerMechanism(
  container: ContainerInfo,
): IdentityMechanism | undefined {
  if (hasIrsaEnv(container)) return 'irsa';
  if (hasPodIdentityEnv(container)) return 'pod-identity';
  return undefined;
}

/** The mechanism of the pod's first wired container; undefined when none is. */
export function podMechanism(pod: PodInfo): IdentityMechanism | undefined {
  for (const container of pod.containers) {
    const mechanism = containerMechanism(container);
    if (mechanism) return mechanism;
  }
  return undefined;
}

/** A pod where EKS Pod Identity does not run: on Fargate or a Windows node. */
export function podIdentityUnsupported(pod: PodInfo): string | undefined {
  if (pod.fargate) return 'Fargate';
  if (pod.os?.toLowerCase() === 'windows') return 'a Windows node';
  return undefined;
}

/** A migration's progress: running pods still on the old mechanism, of all running pods. */
export function migrationProgress(
  pods: readonly PodInfo[],
  from: IdentityMechanism,
): { podsOnOld: number; pods: number } {
  const running = pods.filter(p => p.phase === 'Running');
  return {
    podsOnOld: running.filter(p => podMechanism(p) === from).length,
    pods: running.length,
  };
}
