import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { AwsTarget, ClusterDescription, EksGateway } from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';

/** The EKS API as this gateway uses it: every command it may send. */
export const EKS_API = defineAwsApi({
  name: 'eks',
  requestsPerSecond: 10,
  commands: [DescribeClusterCommand],
  createClient: config => new EKSClient(config),
});

/** EKS on AWS SDK v3: a cluster's issuer and network. */
export class AwsEksGateway implements EksGateway {
  constructor(private readonly eks: AwsApiClientFor<typeof EKS_API>) {}

  async describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription> {
    const { cluster } = await this.eks.send(
      target,
      new DescribeClusterCommand({ name: clusterName }),
    );
    return {
      name: cluster?.name ?? clusterName,
      arn: cluster?.arn ?? '',
      status: cluster?.status ?? 'UNKNOWN',
      endpoint: cluster?.endpoint,
      issuerUrl: cluster?.identity?.oidc?.issuer,
      vpcId: cluster?.resourcesVpcConfig?.vpcId,
      subnetIds: cluster?.resourcesVpcConfig?.subnetIds ?? [],
    };
  }
}
