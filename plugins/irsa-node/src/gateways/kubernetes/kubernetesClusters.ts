import type { Config } from '@backstage/config';

/** One cluster as the Kubernetes plugin's `clusterLocatorMethods` config describes it. */
export interface KubernetesClusterConfig {
  name: string;
  url: string;
  authProvider: 'aws' | 'serviceAccount';
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
  /** `kubernetes.io/x-k8s-aws-id`: the EKS cluster name in the token (default `name`). */
  eksClusterName?: string;
  /** Account and region for EKS tokens (from `irsa.clusters`). */
  accountId?: string;
  region?: string;
  /** `kubernetes.io/aws-assume-role`: the role EKS tokens are signed as. */
  assumeRole?: string;
  /** `kubernetes.io/aws-external-id` for that role. */
  externalId?: string;
}

/** Reads `kubernetes.clusterLocatorMethods[].clusters[]` of type `config`; errors name the key. */
export function readKubernetesClusters(
  config: Config,
): KubernetesClusterConfig[] {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  const clusters: KubernetesClusterConfig[] = [];
  const irsaClusters = new Map(
    (config.getOptionalConfigArray('irsa.clusters') ?? []).map(c => [
      c.getString('name'),
      c,
    ]),
  );
  methods.forEach((method, m) => {
    if (method.getString('type') !== 'config') return;
    (method.getOptionalConfigArray('clusters') ?? []).forEach((c, i) => {
      const key = `kubernetes.clusterLocatorMethods[${m}].clusters[${i}]`;
      const name = c.getString('name');
      const authProvider = c.getString('authProvider');
      if (authProvider !== 'aws' && authProvider !== 'serviceAccount') {
        throw new Error(
          `${key}.authProvider: IRSA supports "aws" and "serviceAccount", got "${authProvider}"`,
        );
      }
      const irsa = irsaClusters.get(name);
      // authMetadata keys contain dots, so read the object as a whole.
      const metadata = (c.getOptional('authMetadata') ?? {}) as Record<
        string,
        string
      >;
      clusters.push({
        name,
        url: c.getString('url'),
        authProvider,
        serviceAccountToken: c.getOptionalString('serviceAccountToken'),
        caData: c.getOptionalString('caData'),
        caFile: c.getOptionalString('caFile'),
        skipTLSVerify: c.getOptionalBoolean('skipTLSVerify'),
        eksClusterName:
          metadata['kubernetes.io/x-k8s-aws-id'] ??
          irsa?.getOptionalString('eksClusterName') ??
          name,
        accountId: irsa?.getOptionalString('accountId'),
        region: irsa?.getOptionalString('region'),
        assumeRole: metadata['kubernetes.io/aws-assume-role'],
        externalId: metadata['kubernetes.io/aws-external-id'],
      });
      if (
        authProvider === 'serviceAccount' &&
        !clusters.at(-1)!.serviceAccountToken
      ) {
        throw new Error(
          `${key}.serviceAccountToken: is required with authProvider "serviceAccount"`,
        );
      }
    });
  });
  return clusters;
}
