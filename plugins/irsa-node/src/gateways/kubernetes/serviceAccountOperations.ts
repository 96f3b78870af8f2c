import {
  CoreV1Api,
  PatchStrategy,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { GatewayError } from '../errors';
import type {
  CreateServiceAccountInput,
  ServiceAccountInfo,
  ServiceAccountMetadataPatch,
} from '../types';
import type { ClusterConnection } from './ClusterConnection';
import { undefinedIfNotFound } from './kubernetesErrors';

const MAX_CONFLICT_RETRIES = 3;

function serviceAccountInfo(sa: V1ServiceAccount): ServiceAccountInfo {
  return {
    namespace: sa.metadata?.namespace ?? '',
    name: sa.metadata?.name ?? '',
    uid: sa.metadata?.uid ?? '',
    resourceVersion: sa.metadata?.resourceVersion ?? '',
    creationTimestamp: sa.metadata?.creationTimestamp
      ? new Date(sa.metadata.creationTimestamp).toISOString()
      : '',
    annotations: { ...sa.metadata?.annotations },
    labels: { ...sa.metadata?.labels },
  };
}

/** A 409 on a write guarded by a resourceVersion the caller read earlier. */
function changedSinceRead(
  operation: string,
  conflict: GatewayError,
  namespace: string,
  name: string,
  resourceVersion: string,
): GatewayError {
  return new GatewayError({
    kind: 'conflict',
    operation,
    code: conflict.code,
    requestId: conflict.requestId,
    message: `serviceaccounts "${name}" in namespace ${namespace} changed since resourceVersion ${resourceVersion} was read`,
  });
}

function readServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  name: string,
): Promise<V1ServiceAccount> {
  return connection.call(cluster, 'k8s:get serviceaccounts', (kc, request) =>
    kc
      .makeApiClient(CoreV1Api)
      .readNamespacedServiceAccount({ name, namespace }, request),
  );
}

/** The ServiceAccount, or undefined when the API server answers 404. */
export async function getServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  name: string,
): Promise<ServiceAccountInfo | undefined> {
  const sa = await readServiceAccount(
    connection,
    cluster,
    namespace,
    name,
  ).catch(undefinedIfNotFound);
  return sa && serviceAccountInfo(sa);
}

/** Every ServiceAccount of the namespace, read page by page. */
export async function listServiceAccounts(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  options: { signal?: AbortSignal } = {},
): Promise<ServiceAccountInfo[]> {
  const accounts = await connection.listAll(
    cluster,
    'k8s:list serviceaccounts',
    (kc, request, page) =>
      kc
        .makeApiClient(CoreV1Api)
        .listNamespacedServiceAccount({ namespace, ...page }, request),
    options,
  );
  return accounts.map(serviceAccountInfo);
}

/** Creates the ServiceAccount; an existing name is `already-exists`. */
export async function createServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  input: CreateServiceAccountInput,
): Promise<ServiceAccountInfo> {
  const created = await connection
    .call(cluster, 'k8s:create serviceaccounts', (kc, request) =>
      kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount(
        {
          namespace: input.namespace,
          body: {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: {
              name: input.name,
              namespace: input.namespace,
              annotations: input.annotations,
              labels: input.labels,
            },
          },
        },
        request,
      ),
    )
    .catch(error => {
      // The API answers an existing name with 409 AlreadyExists.
      if (error instanceof GatewayError && error.kind === 'conflict') {
        throw new GatewayError({
          kind: 'already-exists',
          operation: error.operation,
          code: error.code,
          requestId: error.requestId,
          message: `serviceaccounts "${input.name}" already exists in namespace ${input.namespace}`,
        });
      }
      throw error;
    });
  return serviceAccountInfo(created);
}

/**
 * A JSON merge patch of annotations and labels only, guarded by
 * resourceVersion so a concurrent writer is never overwritten. Without an
 * expected version a 409 re-reads and retries; with one, it is thrown.
 */
export async function patchServiceAccountMetadata(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  name: string,
  patch: ServiceAccountMetadataPatch,
  options: { expectedResourceVersion?: string } = {},
): Promise<ServiceAccountInfo> {
  const operation = 'k8s:patch serviceaccounts';
  if (!patch.annotations && !patch.labels) {
    throw new GatewayError({
      kind: 'invalid-input',
      operation,
      message: 'patch: give annotations or labels to change',
    });
  }
  const expected = options.expectedResourceVersion;
  for (let attempt = 1; ; attempt++) {
    const resourceVersion =
      expected ??
      (await readServiceAccount(connection, cluster, namespace, name)).metadata
        ?.resourceVersion;
    try {
      const patched = await connection.call(
        cluster,
        operation,
        (kc, request) =>
          kc.makeApiClient(CoreV1Api).patchNamespacedServiceAccount(
            {
              name,
              namespace,
              body: {
                metadata: {
                  resourceVersion,
                  ...(patch.annotations
                    ? { annotations: patch.annotations }
                    : {}),
                  ...(patch.labels ? { labels: patch.labels } : {}),
                },
              },
            },
            request,
          ),
        { headers: { 'Content-Type': PatchStrategy.MergePatch } },
      );
      return serviceAccountInfo(patched);
    } catch (error) {
      if (!(error instanceof GatewayError && error.kind === 'conflict'))
        throw error;
      if (expected !== undefined)
        throw changedSinceRead(operation, error, namespace, name, expected);
      if (attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/**
 * DELETE with `preconditions.resourceVersion`: the API server refuses
 * with 409 when the ServiceAccount changed since it was read.
 */
export async function deleteServiceAccount(
  connection: ClusterConnection,
  cluster: string,
  namespace: string,
  name: string,
  options: { expectedResourceVersion: string },
): Promise<void> {
  const operation = 'k8s:delete serviceaccounts';
  try {
    await connection.call(cluster, operation, (kc, request) =>
      kc.makeApiClient(CoreV1Api).deleteNamespacedServiceAccount(
        {
          name,
          namespace,
          body: {
            preconditions: {
              resourceVersion: options.expectedResourceVersion,
            },
          },
        },
        request,
      ),
    );
  } catch (error) {
    if (!(error instanceof GatewayError && error.kind === 'conflict'))
      throw error;
    throw changedSinceRead(
      operation,
      error,
      namespace,
      name,
      options.expectedResourceVersion,
    );
  }
}
