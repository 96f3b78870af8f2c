import type {
  AwsTarget,
  ClusterDescription,
  EksGateway,
} from '@backstage-irsa/plugin-irsa-node';
import { sandboxError, SandboxState } from './state';

/** EKS of the sandbox: its clusters' issuers and networks. */
export class SandboxEksGateway implements EksGateway {
  constructor(private readonly state: SandboxState) {}

  private cluster(target: AwsTarget, name: string) {
    const cluster = this.state.clustersIn(target).find(c => c.name === name);
    if (!cluster) {
      throw sandboxError(
        'not-found',
        'eks:DescribeCluster',
        'ResourceNotFoundException',
        `No cluster found for name: ${name}.`,
      );
    }
    return cluster;
  }

  async describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription> {
    const cluster = this.cluster(target, clusterName);
    return {
      name: cluster.name,
      arn: cluster.arn,
      status: 'ACTIVE',
      endpoint: `https://${cluster.name}.sandbox.invalid`,
      issuerUrl: `https://${cluster.issuer}`,
      vpcId: cluster.vpcId,
      subnetIds: [...cluster.clusterSubnetIds],
    };
  }
}
