import type { IdentityMechanism } from '@backstage-irsa/plugin-irsa-common';
import type { PodIdentityAssociationInfo, PodInfo } from '../../gateways/types';
import { irsaInjection } from './pod-injection';
import { podIdentityInjection } from './pod-identity-injection';

/**
 * The pods the injection checks of these mechanisms will name for a
 * restart (`restartNeeded`), each once: the verifier reads the owners of
 * exactly these, in one call.
 */
export function restartCandidates(
  pods: readonly PodInfo[],
  wiring: {
    mechanisms: readonly IdentityMechanism[];
    roleArn?: string;
    association?: PodIdentityAssociationInfo;
    migratingFrom?: IdentityMechanism;
  },
): string[] {
  const { mechanisms, roleArn, association, migratingFrom } = wiring;
  const found: PodInfo[] = [];
  if (mechanisms.includes('irsa')) {
    const irsa = irsaInjection(pods, roleArn, migratingFrom);
    found.push(...irsa.stale, ...irsa.onOld);
  }
  if (mechanisms.includes('pod-identity')) {
    const podIdentity = podIdentityInjection(pods, association, migratingFrom);
    found.push(...podIdentity.stale, ...podIdentity.onOld);
  }
  return [...new Set(found.map(p => p.name))];
}
