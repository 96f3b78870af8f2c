import type { WorkloadRef } from './types';

/**
 * The kinds `ClusterGateway.restartWorkload` restarts (apps/v1), as
 * `kubectl rollout restart` does: their controllers replace every pod when the
 * pod template changes.
 */
export const RESTARTABLE_WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
] as const;

/** A kind {@link RESTARTABLE_WORKLOAD_KINDS} names. */
export type RestartableWorkloadKind =
  (typeof RESTARTABLE_WORKLOAD_KINDS)[number];

/** True when `kubectl rollout restart` can restart this workload. */
export function isRestartableWorkload(
  workload: WorkloadRef,
): workload is WorkloadRef & { kind: RestartableWorkloadKind } {
  return (RESTARTABLE_WORKLOAD_KINDS as readonly string[]).includes(
    workload.kind,
  );
}

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
