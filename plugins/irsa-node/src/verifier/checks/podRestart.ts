import type { EvidenceValue } from '@backstage-irsa/plugin-irsa-common';
import type { PodOwner } from '../../gateways/types';
import { isRestartableWorkload } from '../../gateways/workloads';
import type { Source } from '../sources';
import { q } from './helpers';

/**
 * What to run: `kubectl rollout restart` of the workloads that own the
 * pods, and for pods no rollout replaces (bare pods, Jobs' pods) a delete.
 * Without their owners, the generic advice.
 */
function restartRemediation(
  namespace: string,
  names: string[],
  owners: readonly PodOwner[] | undefined,
): string {
  const ns = q(namespace);
  if (!owners) {
    return `kubectl rollout restart deployment -n ${ns} DEPLOYMENT   (the deployment of these pods; or: kubectl delete pod -n ${ns} ${names.map(q).join(' ')})`;
  }
  const workloads = new Set<string>();
  const others: string[] = [];
  for (const name of names) {
    const owner = owners.find(o => o.pod === name)?.owner;
    if (owner && isRestartableWorkload(owner))
      workloads.add(`${owner.kind.toLowerCase()}/${owner.name}`);
    else others.push(name);
  }
  const steps: string[] = [];
  if (workloads.size)
    steps.push(
      `kubectl rollout restart ${[...workloads].map(q).join(' ')} -n ${ns}   (or "Restart pods" in the portal)`,
    );
  if (others.length)
    steps.push(
      `kubectl delete pod -n ${ns} ${others.map(q).join(' ')}   (no Deployment, StatefulSet or DaemonSet replaces these: start them again after)`,
    );
  return steps.join('; then ');
}

/**
 * The evidence and remediation of pods a restart fixes, in the shape the
 * card's Restart button reads (`restartNeeded`: pod names; `owners`). The
 * owners are a hint: unreadable ones never change a check's status.
 */
export function restartNeeded(
  namespace: string,
  names: string[],
  podOwners: Source<PodOwner[]> | undefined,
): { evidence: { [key: string]: EvidenceValue }; remediation: string } {
  // The verifier reads the owners of every pod either injection check names.
  const owners = podOwners?.ok
    ? podOwners.value.filter(o => names.includes(o.pod))
    : undefined;
  return {
    evidence: {
      restartNeeded: names,
      ...(owners
        ? {
            owners: owners.map(o => ({
              pod: o.pod,
              kind: o.owner?.kind ?? null,
              name: o.owner?.name ?? null,
            })),
          }
        : {}),
    },
    remediation: restartRemediation(namespace, names, owners),
  };
}
