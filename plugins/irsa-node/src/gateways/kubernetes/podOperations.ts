import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
  type V1OwnerReference,
} from '@kubernetes/client-node';
import { GatewayError } from '../errors';
import type { DaemonSetInfo, PodInfo, PodOwner, WorkloadRef } from '../types';
import { describeRestart, RESTARTED_AT_ANNOTATION } from '../workloads';
import type { ClusterConnection } from './ClusterConnection';
import { undefinedIfNotFound } from './kubernetesErrors';
import { toPodInfo } from './podInfo';

/** The controller among an object's owner references (the first owner when none is marked). */
function controllerOf(
  references: V1OwnerReference[] | undefined,
): WorkloadRef | undefined {
  const owner = references?.find(r => r.controller === true) ?? references?.[0];
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

/** The namespace's pods, all pages, narrowed by a field selector when given. */
async function readPods(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  fieldSelector: string | undefined,
  options: { signal?: AbortSignal },
): Promise<PodInfo[]> {
  const pods = await connection.listAll(
    cluster,
    'k8s:list pods',
    (kc, request, page) =>
      kc
        .makeApiClient(CoreV1Api)
        .listNamespacedPod({ namespace, fieldSelector, ...page }, request),
    options,
  );
  return pods.map(toPodInfo);
}

/** Every pod of the namespace. */
export function listPods(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  options: { signal?: AbortSignal } = {},
): Promise<PodInfo[]> {
  return readPods(connection, cluster, namespace, undefined, options);
}

/** The pods that run as the ServiceAccount. */
export function listPodsForServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  options: { signal?: AbortSignal } = {},
): Promise<PodInfo[]> {
  return readPods(
    connection,
    cluster,
    namespace,
    `spec.serviceAccountName=${serviceAccount}`,
    options,
  );
}

/** A DaemonSet's rollout, or undefined when the API server answers 404. */
export async function getDaemonSet(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  name: string,
): Promise<DaemonSetInfo | undefined> {
  const daemonSet = await connection
    .call(cluster, 'k8s:get daemonsets', (kc, request) =>
      kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDaemonSet({ name, namespace }, request),
    )
    .catch(undefinedIfNotFound);
  if (!daemonSet) return undefined;
  const image = daemonSet.spec?.template.spec?.containers[0]?.image;
  return {
    namespace: daemonSet.metadata?.namespace ?? namespace,
    name: daemonSet.metadata?.name ?? name,
    desiredNumberScheduled: daemonSet.status?.desiredNumberScheduled ?? 0,
    numberReady: daemonSet.status?.numberReady ?? 0,
    ...(image ? { image } : {}),
  };
}

/** Each pod's workload: its controller, or the Deployment above its ReplicaSet. */
export async function resolvePodOwners(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  podNames: string[],
  options: { signal?: AbortSignal } = {},
): Promise<PodOwner[]> {
  // Every read here is bounded by the caller's signal as well.
  const read = <T>(
    operation: string,
    fn: (kc: KubeConfig, request: ConfigurationOptions) => Promise<T>,
  ) => connection.call(cluster, operation, fn, { signal: options.signal });
  const pods = await Promise.all(
    podNames.map(name =>
      read('k8s:get pods', (kc, request) =>
        kc
          .makeApiClient(CoreV1Api)
          .readNamespacedPod({ name, namespace }, request),
      ).catch(undefinedIfNotFound),
    ),
  );
  // Pods of one Deployment share a ReplicaSet: read each one once.
  const replicaSets = new Map<string, Promise<WorkloadRef>>();
  const deploymentOf = (name: string) => {
    let owner = replicaSets.get(name);
    if (!owner) {
      owner = read('k8s:get replicasets', (kc, request) =>
        kc
          .makeApiClient(AppsV1Api)
          .readNamespacedReplicaSet({ name, namespace }, request),
      ).then(
        rs =>
          // A ReplicaSet nobody controls is the workload itself.
          controllerOf(rs.metadata?.ownerReferences) ?? {
            kind: 'ReplicaSet',
            name,
          },
      );
      replicaSets.set(name, owner);
    }
    return owner;
  };
  return Promise.all(
    podNames.map(async (name, i): Promise<PodOwner> => {
      const pod = pods[i];
      if (!pod) return { pod: name, found: false };
      const direct = controllerOf(pod.metadata?.ownerReferences);
      const owner =
        direct?.kind === 'ReplicaSet'
          ? await deploymentOf(direct.name)
          : direct;
      return {
        pod: name,
        found: true,
        serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
        ...(owner ? { owner } : {}),
      };
    }),
  );
}

/** A rolling restart: a merge patch of the pod template's restartedAt annotation. */
export async function restartWorkload(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  workload: WorkloadRef,
): Promise<{ restartedAt: string }> {
  const { operation, refusal } = describeRestart(workload);
  if (refusal) {
    throw new GatewayError({
      kind: 'invalid-input',
      operation,
      message: refusal,
    });
  }
  const restartedAt = new Date().toISOString();
  const param = {
    name: workload.name,
    namespace,
    body: {
      spec: {
        template: {
          metadata: {
            annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt },
          },
        },
      },
    },
  };
  // The patched workload is not read: only the write matters.
  await connection.call<unknown>(
    cluster,
    operation,
    (kc, request) => {
      const apps = kc.makeApiClient(AppsV1Api);
      if (workload.kind === 'Deployment')
        return apps.patchNamespacedDeployment(param, request);
      if (workload.kind === 'StatefulSet')
        return apps.patchNamespacedStatefulSet(param, request);
      return apps.patchNamespacedDaemonSet(param, request);
    },
    { headers: { 'Content-Type': PatchStrategy.MergePatch } },
  );
  return { restartedAt };
}
