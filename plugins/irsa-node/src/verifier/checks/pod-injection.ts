import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { PodInfo, PodOwner } from '../../gateways/types';
import { isRestartableWorkload } from '../../gateways/workloads';
import type { IrsaCheck } from '../checkTypes';
import { q } from './helpers';

/** The pods the check looks at: running ones, and those about to run. */
function livePods(pods: readonly PodInfo[]): PodInfo[] {
  return pods.filter(p => p.phase === 'Running' || p.phase === 'Pending');
}

/**
 * The live pods that started before the ServiceAccount named this role:
 * a container without AWS_ROLE_ARN (or with another one) or without the
 * token file. The verifier reads the owners of exactly these.
 */
export function podsNeedingRestart(
  pods: readonly PodInfo[],
  roleArn: string | undefined,
): PodInfo[] {
  return livePods(pods).filter(p =>
    p.containers.some(
      c => c.env.AWS_ROLE_ARN !== roleArn || !c.env.AWS_WEB_IDENTITY_TOKEN_FILE,
    ),
  );
}

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

/** `pod-injection`: every running pod got AWS_ROLE_ARN and the token file. */
export const podInjectionCheck: IrsaCheck = {
  id: 'pod-injection',
  title: CHECK_TITLES['pod-injection'],
  mechanism: 'irsa',
  dependsOn: ['service-account'],
  reads: ['pods'],
  run({ evidence: e, read }) {
    const pods = livePods(read('pods'));
    if (!pods.length) {
      return {
        status: 'pass',
        message:
          'No running pods yet; pods started from now on get the credentials injected',
        evidence: { pods: [] },
      };
    }
    const stale = podsNeedingRestart(pods, e.roleArn);
    const evidence = {
      pods: pods.map(p => ({
        name: p.name,
        createdAt: p.creationTimestamp,
        roleArn: p.containers[0]?.env.AWS_ROLE_ARN ?? null,
        tokenFile: p.containers[0]?.env.AWS_WEB_IDENTITY_TOKEN_FILE ?? null,
      })),
    };
    if (stale.length) {
      const names = stale.map(p => p.name);
      // Owners are a hint for the remediation: unreadable ones never change the status.
      const owners = e.podOwners?.ok ? e.podOwners.value : undefined;
      return {
        status: 'fail',
        message: `Restart needed: ${names.join(', ')} started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN`,
        evidence: {
          ...evidence,
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
        remediation: restartRemediation(e.namespace, names, owners),
      };
    }
    return {
      status: 'pass',
      message: `All ${pods.length} pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE`,
      evidence,
    };
  },
};
