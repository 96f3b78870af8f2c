import {
  IRSA_ENV,
  POD_IDENTITY_ENV,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { PodInfo } from '../../gateways/types';
import type { MigrationPod } from './migrationTypes';

const carries = (pod: PodInfo, names: readonly string[]) =>
  pod.containers.some(c => names.some(name => name in c.env));

/** A pod that still runs or may yet run (not Succeeded or Failed). */
export function isLive(pod: PodInfo): boolean {
  return pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/**
 * The mechanism a pod's SDKs use, read from the env the webhooks injected
 * at its creation. The default credential chains try web identity before
 * container credentials, so a pod carrying both uses IRSA.
 */
export function podMechanism(pod: PodInfo): MigrationPod['mechanism'] {
  if (carries(pod, Object.values(IRSA_ENV))) return 'irsa';
  if (carries(pod, Object.values(POD_IDENTITY_ENV))) return 'pod-identity';
  return 'none';
}

/** Why EKS Pod Identity cannot serve this pod, or undefined when it can. */
export function podIdentityUnsupported(pod: PodInfo): string | undefined {
  if (pod.fargate) return `${pod.name} runs on Fargate`;
  if (pod.os?.toLowerCase() === 'windows') return `${pod.name} runs on Windows`;
  return undefined;
}

/** The live pods, each with its mechanism. */
export function livePods(pods: PodInfo[]): MigrationPod[] {
  return pods
    .filter(isLive)
    .map(pod => ({ name: pod.name, mechanism: podMechanism(pod) }));
}

/**
 * The live pods not yet on `to`: moving to Pod Identity, those still on
 * IRSA; moving to IRSA, those on Pod Identity only.
 */
export function podsNotOn(
  pods: MigrationPod[],
  to: IdentityMechanism,
): string[] {
  const old: IdentityMechanism = to === 'irsa' ? 'pod-identity' : 'irsa';
  return pods.filter(p => p.mechanism === old).map(p => p.name);
}
