import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
  type V1OwnerReference,
  type V1Pod,
} from '@kubernetes/client-node';
import { GatewayError } from '../errors';
import type { PodInfo, PodOwner, WorkloadRef } from '../types';
import { describeRestart, RESTARTED_AT_ANNOTATION } from '../workloads';
import type { ClusterConnection } from './ClusterConnection';

function podInfo(pod: V1Pod): PodInfo {
  const projected = (pod.spec?.volumes ?? [])
    .flatMap(v =>
      (v.projected?.sources ?? []).map(s => ({
        volume: v.name,
        token: s.serviceAccountToken,
      })),
    )
    .find(
      s =>
        s.token &&
        s.token.audience !== undefined &&
        s.volume !== 'kube-api-access',
    );
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    creationTimestamp: pod.metadata?.creationTimestamp
      ? new Date(pod.metadata.creationTimestamp).toISOString()
      : '',
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    annotations: { ...pod.metadata?.annotations },
    containers: (pod.spec?.containers ?? []).map(c => ({
      name: c.name,
      env: Object.fromEntries((c.env ?? []).map(e => [e.name, e.value])),
      volumeMountPaths: (c.volumeMounts ?? []).map(m => m.mountPath),
    })),
    ...(projected?.token
      ? {
          projectedToken: {
            volumeName: projected.volume,
            audience: projected.token.audience,
            path: projected.token.path,
          },
        }
      : {}),
  };
}

/** The controller among an object's owner references (the first owner when none is marked). */
function controllerOf(
  references: V1OwnerReference[] | undefined,
): WorkloadRef | undefined {
  const owner = references?.find(r => r.controller === true) ?? references?.[0];
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

/** The pods that run as the ServiceAccount, read page by page. */
export async function listPodsForServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  serviceAccount: string,
  options: { signal?: AbortSignal } = {},
): Promise<PodInfo[]> {
  const pods: PodInfo[] = [];
  const page = (token?: string) =>
    connection.call(
      cluster,
      'k8s:list pods',
      (kc, request) =>
        kc.makeApiClient(CoreV1Api).listNamespacedPod(
          {
            namespace,
            fieldSelector: `spec.serviceAccountName=${serviceAccount}`,
            limit: 100,
            _continue: token,
          },
          request,
        ),
      { signal: options.signal },
    );
  for (let list = await page(); ; list = await page(list.metadata!._continue)) {
    pods.push(...list.items.map(podInfo));
    if (!list.metadata?._continue) return pods;
  }
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
      ).catch(error => {
        if (error instanceof GatewayError && error.kind === 'not-found')
          return undefined;
        throw error;
      }),
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
  await connection.call(
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
