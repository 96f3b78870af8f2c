import {
  CHECK_TITLES,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { PodInfo } from '../../gateways/types';
import type { IrsaCheck } from '../checkTypes';
import { restartNeeded } from './podRestart';
import { livePods, podMechanism, wiredContainers } from './podWiring';

/** What the IRSA injection check decides about each live pod. */
export interface IrsaInjection {
  /** The pods it judges: all live ones, less those a migration hands to Pod Identity. */
  checked: PodInfo[];
  /** Started before the ServiceAccount named this role: no (or another) AWS_ROLE_ARN. */
  stale: PodInfo[];
  /** Still on Pod Identity while migrating to IRSA. */
  onOld: PodInfo[];
}

/**
 * Sorts the live pods. While migrating away from IRSA, pods already on Pod
 * Identity are that check's to judge; while migrating to IRSA, pods still
 * on Pod Identity are the migration's progress, not a fault.
 */
export function irsaInjection(
  pods: readonly PodInfo[],
  roleArn: string | undefined,
  migratingFrom?: IdentityMechanism,
): IrsaInjection {
  const live = livePods(pods);
  const onPodIdentity = (p: PodInfo) => podMechanism(p) === 'pod-identity';
  let checked = live;
  let onOld: PodInfo[] = [];
  if (migratingFrom === 'irsa') checked = live.filter(p => !onPodIdentity(p));
  if (migratingFrom === 'pod-identity') {
    onOld = live.filter(onPodIdentity);
    checked = live.filter(p => !onPodIdentity(p));
  }
  const stale = checked.filter(p =>
    wiredContainers(p).some(
      c => c.env.AWS_ROLE_ARN !== roleArn || !c.env.AWS_WEB_IDENTITY_TOKEN_FILE,
    ),
  );
  return { checked, stale, onOld };
}

/** `pod-injection`: every running pod got AWS_ROLE_ARN and the token file. */
export const podInjectionCheck: IrsaCheck = {
  id: 'pod-injection',
  title: CHECK_TITLES['pod-injection'],
  mechanism: 'irsa',
  dependsOn: ['service-account'],
  reads: ['pods'],
  run({ evidence: e, read }) {
    const { checked, stale, onOld } = irsaInjection(
      read('pods'),
      e.roleArn,
      e.migratingFrom,
    );
    if (!checked.length && !onOld.length) {
      return {
        status: 'pass',
        message:
          e.migratingFrom === 'irsa'
            ? 'No running pod is left on IRSA'
            : 'No running pods yet; pods started from now on get the credentials injected',
        evidence: { pods: [] },
      };
    }
    const evidence = {
      pods: checked.map(p => ({
        name: p.name,
        createdAt: p.creationTimestamp,
        roleArn: p.containers[0]?.env.AWS_ROLE_ARN ?? null,
        tokenFile: p.containers[0]?.env.AWS_WEB_IDENTITY_TOKEN_FILE ?? null,
      })),
      ...(onOld.length ? { onPodIdentity: onOld.map(p => p.name) } : {}),
    };
    const names = [...stale, ...onOld].map(p => p.name);
    const restart = restartNeeded(e.namespace, names, e.podOwners);
    if (stale.length) {
      return {
        status: 'fail',
        message: `Restart needed: ${stale.map(p => p.name).join(', ')} started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN`,
        evidence: { ...evidence, ...restart.evidence },
        remediation: restart.remediation,
      };
    }
    if (onOld.length) {
      return {
        status: 'warn',
        message: `Migrating to IRSA: ${onOld.length} of ${onOld.length + checked.length} pods still on Pod Identity (${onOld.map(p => p.name).join(', ')}); restart them to move them`,
        evidence: { ...evidence, ...restart.evidence },
        remediation: restart.remediation,
      };
    }
    return {
      status: 'pass',
      message: `All ${checked.length} pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE`,
      evidence,
    };
  },
};
