import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  DefaultAwsCredentialsManager,
  type AwsCredentialsManager,
} from '@backstage/integration-aws-node';
import type { ClusterGateway } from '../types';
import {
  KubernetesClusterGateway,
  readKubernetesClusters,
} from './KubernetesClusterGateway';

export {
  KubernetesClusterGateway,
  readKubernetesClusters,
  type KubernetesClusterConfig,
} from './KubernetesClusterGateway';
export { EksTokenProvider } from './eksToken';

/** The real ClusterGateway from `kubernetes.clusterLocatorMethods` (and `aws:` for EKS tokens). */
export function createKubernetesClusterGateway(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): ClusterGateway {
  return new KubernetesClusterGateway(
    readKubernetesClusters(options.config),
    options.credentialsManager ??
      DefaultAwsCredentialsManager.fromConfig(options.config),
  );
}
