import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DefaultAwsCredentialsManager,
  type AwsCredentialsManager,
} from '@backstage/integration-aws-node';
import type { ClusterGateway } from '../types';
import {
  DEFAULT_KUBERNETES_TIMEOUT_MS,
  KubernetesClusterGateway,
  readKubernetesClusters,
} from './KubernetesClusterGateway';

export {
  DEFAULT_KUBERNETES_TIMEOUT_MS,
  KubernetesClusterGateway,
  readKubernetesClusters,
  type KubernetesClusterConfig,
  type KubernetesClusterGatewayOptions,
} from './KubernetesClusterGateway';
export { EksTokenProvider } from './eksToken';
export {
  KUBERNETES_REQUESTS,
  type KubernetesRequest,
} from './kubernetesRequests';

/** `irsa.kubernetes.timeoutMs`: a positive whole number of milliseconds, 10000 when unset. */
export function readKubernetesTimeoutMs(config: Config): number {
  const key = 'irsa.kubernetes.timeoutMs';
  const value = config.getOptionalNumber(key);
  if (value === undefined) return DEFAULT_KUBERNETES_TIMEOUT_MS;
  if (!Number.isInteger(value) || value <= 0) {
    throw new InputError(
      `${key}: must be a positive whole number of milliseconds, got ${value}`,
    );
  }
  return value;
}

/**
 * The real ClusterGateway from `kubernetes.clusterLocatorMethods` (and `aws:`
 * for EKS tokens), with the per-call timeout of `irsa.kubernetes.timeoutMs`.
 */
export function createKubernetesClusterGateway(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): ClusterGateway {
  return new KubernetesClusterGateway(
    readKubernetesClusters(options.config),
    options.credentialsManager ??
      DefaultAwsCredentialsManager.fromConfig(options.config),
    { timeoutMs: readKubernetesTimeoutMs(options.config) },
  );
}
