import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import type { ClusterGateway } from '../types';
import * as access from './accessOperations';
import {
  ClusterConnection,
  DEFAULT_KUBERNETES_TIMEOUT_MS,
} from './ClusterConnection';
import type { KubernetesClusterConfig } from './kubernetesClusters';
import * as pods from './podOperations';
import * as serviceAccounts from './serviceAccountOperations';

export { DEFAULT_KUBERNETES_TIMEOUT_MS } from './ClusterConnection';
export {
  readKubernetesClusters,
  type KubernetesClusterConfig,
} from './kubernetesClusters';

/** Options of {@link KubernetesClusterGateway}. */
export interface KubernetesClusterGatewayOptions {
  /** Per-call timeout in milliseconds (`irsa.kubernetes.timeoutMs`). Default 10000. */
  timeoutMs?: number;
}

/**
 * The ClusterGateway on @kubernetes/client-node, for clusters configured as
 * the Kubernetes plugin configures them (serviceAccount tokens or EKS tokens
 * presigned with the account's AWS credentials). Every call is bounded by the
 * configured timeout and fails with a short typed error.
 *
 * Connection and credentials live in {@link ClusterConnection}; the
 * operations, grouped by what they touch, in `serviceAccountOperations`,
 * `podOperations` and `accessOperations`.
 */
export class KubernetesClusterGateway implements ClusterGateway {
  private readonly connection: ClusterConnection;

  constructor(
    clusters: KubernetesClusterConfig[],
    credentialsManager?: AwsCredentialsManager,
    options: KubernetesClusterGatewayOptions = {},
  ) {
    this.connection = new ClusterConnection(
      clusters,
      credentialsManager,
      options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS,
    );
  }

  // Each operation takes the interface's own signature and hands the
  // arguments on, after the connection, to the module that implements it.

  readonly reviewAccess: ClusterGateway['reviewAccess'] = (...args) =>
    access.reviewAccess(this.connection, ...args);

  readonly requestServiceAccountToken: ClusterGateway['requestServiceAccountToken'] =
    (...args) => access.requestServiceAccountToken(this.connection, ...args);

  readonly getServiceAccount: ClusterGateway['getServiceAccount'] = (...args) =>
    serviceAccounts.getServiceAccount(this.connection, ...args);

  readonly createServiceAccount: ClusterGateway['createServiceAccount'] = (
    ...args
  ) => serviceAccounts.createServiceAccount(this.connection, ...args);

  readonly patchServiceAccountMetadata: ClusterGateway['patchServiceAccountMetadata'] =
    (...args) =>
      serviceAccounts.patchServiceAccountMetadata(this.connection, ...args);

  readonly patchServiceAccountAnnotations: ClusterGateway['patchServiceAccountAnnotations'] =
    (cluster, namespace, name, annotations) =>
      this.patchServiceAccountMetadata(cluster, namespace, name, {
        annotations,
      });

  readonly deleteServiceAccount: ClusterGateway['deleteServiceAccount'] = (
    ...args
  ) => serviceAccounts.deleteServiceAccount(this.connection, ...args);

  readonly listServiceAccounts: ClusterGateway['listServiceAccounts'] = (
    ...args
  ) => serviceAccounts.listServiceAccounts(this.connection, ...args);

  readonly listPods: ClusterGateway['listPods'] = (...args) =>
    pods.listPods(this.connection, ...args);

  readonly getDaemonSet: ClusterGateway['getDaemonSet'] = (...args) =>
    pods.getDaemonSet(this.connection, ...args);

  readonly listPodsForServiceAccount: ClusterGateway['listPodsForServiceAccount'] =
    (...args) => pods.listPodsForServiceAccount(this.connection, ...args);

  readonly resolvePodOwners: ClusterGateway['resolvePodOwners'] = (...args) =>
    pods.resolvePodOwners(this.connection, ...args);

  readonly restartWorkload: ClusterGateway['restartWorkload'] = (...args) =>
    pods.restartWorkload(this.connection, ...args);
}
