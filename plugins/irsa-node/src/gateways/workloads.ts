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

/** What {@link describeRestart} says of one workload. */
export interface RestartDescription {
  /** The apps/v1 resource patched, for example `deployments`. */
  resource: string;
  /** The gateway operation name, `k8s:patch <resource>`. */
  operation: string;
  /** Why this kind cannot be restarted; absent when it can. */
  refusal?: string;
}

/**
 * What `ClusterGateway.restartWorkload` patches for this workload, and the
 * refusal every implementation gives a kind that cannot be restarted.
 */
export function describeRestart(workload: WorkloadRef): RestartDescription {
  const resource = `${workload.kind.toLowerCase()}s`;
  return {
    resource,
    operation: `k8s:patch ${resource}`,
    ...(isRestartableWorkload(workload)
      ? {}
      : {
          refusal: `kind: a ${workload.kind} cannot be restarted; only a Deployment, StatefulSet or DaemonSet`,
        }),
  };
}
