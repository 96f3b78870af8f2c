import type {
  AwsTarget,
  NetworkGateway,
  SubnetFilter,
  SubnetInfo,
} from '@backstage-irsa/plugin-irsa-node';
import { clone, type SandboxCluster, SandboxState } from './state';

/** EC2 of the sandbox: the subnets, NAT gateways, route tables and endpoints of its clusters' VPCs. */
export class SandboxNetworkGateway implements NetworkGateway {
  constructor(private readonly state: SandboxState) {}

  async describeSubnets(
    target: AwsTarget,
    filter: SubnetFilter,
  ): Promise<SubnetInfo[]> {
    return clone(
      this.state
        .clustersIn(target)
        .flatMap(c => c.subnets)
        .filter(s => !filter.subnetIds || filter.subnetIds.includes(s.id))
        .filter(s => !filter.vpcId || s.vpcId === filter.vpcId)
        .filter(s => !filter.tagKey || filter.tagKey in s.tags),
    );
  }

  async describeNatGateways(target: AwsTarget, filter: { vpcId: string }) {
    return this.inVpc(target, filter.vpcId, c => c.natGateways);
  }

  async describeRouteTables(target: AwsTarget, filter: { vpcId: string }) {
    return this.inVpc(target, filter.vpcId, c => c.routeTables);
  }

  async describeVpcEndpoints(target: AwsTarget, filter: { vpcId: string }) {
    return this.inVpc(target, filter.vpcId, c => c.vpcEndpoints);
  }

  /** One kind of resource of the clusters in the target, in one VPC. */
  private inVpc<T extends { vpcId: string }>(
    target: AwsTarget,
    vpcId: string,
    resources: (cluster: SandboxCluster) => T[],
  ): T[] {
    return clone(
      this.state
        .clustersIn(target)
        .flatMap(resources)
        .filter(item => item.vpcId === vpcId),
    );
  }
}
