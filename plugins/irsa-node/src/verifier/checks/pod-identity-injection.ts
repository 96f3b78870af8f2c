import {
  CHECK_TITLES,
  POD_IDENTITY_ENV,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { PodIdentityAssociationInfo, PodInfo } from '../../gateways/types';
import type { IrsaCheck } from '../checkTypes';
import { restartNeeded } from './podRestart';
import {
  hasPodIdentityEnv,
  livePods,
  podIdentityUnsupported,
  podMechanism,
  wiredContainers,
} from './podWiring';

/** What the Pod Identity injection check decides about each live pod. */
export interface PodIdentityInjection {
  /** The pods it judges (never those on Fargate or Windows: see pod-identity-platform). */
  checked: PodInfo[];
  /** Started before the association: a restart gives them the variables. */
  stale: PodInfo[];
  /** Started after the association, yet without the variables: a restart does not help. */
  notInjected: PodInfo[];
  /** Still on IRSA while migrating to Pod Identity. */
  onOld: PodInfo[];
}

/**
 * Sorts the live pods. EKS injects the variables only when a pod is
 * created, so a pod older than the association needs a restart. While
 * migrating to IRSA, pods already off Pod Identity are the IRSA check's.
 */
export function podIdentityInjection(
  pods: readonly PodInfo[],
  association: PodIdentityAssociationInfo | undefined,
  migratingFrom?: IdentityMechanism,
): PodIdentityInjection {
  const live = livePods(pods).filter(p => !podIdentityUnsupported(p));
  const onIrsa = (p: PodInfo) => podMechanism(p) === 'irsa';
  let checked = live;
  let onOld: PodInfo[] = [];
  if (migratingFrom === 'pod-identity')
    checked = live.filter(p => podMechanism(p) === 'pod-identity');
  if (migratingFrom === 'irsa') {
    onOld = live.filter(onIrsa);
    checked = live.filter(p => !onIrsa(p));
  }
  const missing = checked.filter(
    p => !wiredContainers(p).every(hasPodIdentityEnv),
  );
  // Without the association's creation time every such pod is assumed older.
  const since = association?.createdAt
    ? Date.parse(association.createdAt)
    : Infinity;
  const before = (p: PodInfo) => Date.parse(p.creationTimestamp) < since;
  return {
    checked,
    stale: missing.filter(before),
    notInjected: missing.filter(p => !before(p)),
    onOld,
  };
}

/**
 * `pod-identity-injection`: every running pod got
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
 */
export const podIdentityInjectionCheck: IrsaCheck = {
  id: 'pod-identity-injection',
  title: CHECK_TITLES['pod-identity-injection'],
  mechanism: 'pod-identity',
  dependsOn: ['pod-identity-association'],
  reads: ['pods', 'associations'],
  remediation:
    'Restart the pods (kubectl rollout restart): EKS injects the Pod Identity variables only when a pod is created',
  run({ evidence: e, read }) {
    const association = read('associations');
    const { checked, stale, notInjected, onOld } = podIdentityInjection(
      read('pods'),
      association,
      e.migratingFrom,
    );
    if (!checked.length && !onOld.length) {
      return {
        status: 'pass',
        message:
          e.migratingFrom === 'pod-identity'
            ? 'No running pod is left on Pod Identity'
            : 'No running pods yet; pods started from now on get the Pod Identity variables',
        evidence: { pods: [] },
      };
    }
    const env = (p: PodInfo, name: string) =>
      p.containers[0]?.env[name] ?? null;
    const evidence = {
      associationCreatedAt: association?.createdAt ?? null,
      pods: checked.map(p => ({
        name: p.name,
        createdAt: p.creationTimestamp,
        credentialsUri: env(p, POD_IDENTITY_ENV.credentialsUri),
        tokenFile: env(p, POD_IDENTITY_ENV.tokenFile),
      })),
      ...(onOld.length ? { onIrsa: onOld.map(p => p.name) } : {}),
      ...(notInjected.length
        ? { notInjected: notInjected.map(p => p.name) }
        : {}),
    };
    const names = [...stale, ...onOld].map(p => p.name);
    const restart = restartNeeded(e.namespace, names, e.podOwners);
    const withRestart = names.length
      ? { ...evidence, ...restart.evidence }
      : evidence;
    const list = (pods: PodInfo[]) => pods.map(p => p.name).join(', ');
    if (notInjected.length) {
      return {
        status: 'fail',
        message: `${list(notInjected)} started after the association but have no ${POD_IDENTITY_ENV.credentialsUri}: EKS did not inject the Pod Identity variables`,
        evidence: withRestart,
        remediation: `Look at what stops the injection: an ${POD_IDENTITY_ENV.credentialsUri} or AWS_ROLE_ARN the pod spec sets itself, or the eks.amazonaws.com/skip-containers annotation; then restart the pods${names.length ? `. Also: ${restart.remediation}` : ''}`,
      };
    }
    if (stale.length) {
      return {
        status: 'fail',
        message: `Restart needed: ${list(stale)} started before the Pod Identity association and have no ${POD_IDENTITY_ENV.credentialsUri}`,
        evidence: withRestart,
        remediation: restart.remediation,
      };
    }
    if (onOld.length) {
      return {
        status: 'warn',
        message: `Migrating to Pod Identity: ${onOld.length} of ${onOld.length + checked.length} pods still on IRSA (${list(onOld)}); restart them to move them`,
        evidence: withRestart,
        remediation: restart.remediation,
      };
    }
    return {
      status: 'pass',
      message: `All ${checked.length} pods have ${POD_IDENTITY_ENV.credentialsUri} and ${POD_IDENTITY_ENV.tokenFile}`,
      evidence,
    };
  },
};
