import {
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Filter,
  type NatGateway,
  type RouteTable,
  type Subnet,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type {
  AwsTarget,
  NatGatewayInfo,
  NetworkGateway,
  RouteTableInfo,
  SubnetFilter,
  SubnetInfo,
  VpcEndpointInfo,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import { allPages } from './allPages';
import { tagRecord } from './awsTags';

/** The EC2 API as this gateway uses it: every command it may send. */
export const EC2_API = defineAwsApi({
  name: 'ec2',
  requestsPerSecond: 20,
  commands: [
    DescribeSubnetsCommand,
    DescribeNatGatewaysCommand,
    DescribeRouteTablesCommand,
    DescribeVpcEndpointsCommand,
  ],
  createClient: config => new EC2Client(config),
});

// What EC2 leaves out or leaves empty is not an id or an address.
const nonEmpty = (value: string | undefined): value is string => Boolean(value);

/** The filter that keeps what lives in one VPC. */
const inVpc = (vpcId: string): Filter[] => [
  { Name: 'vpc-id', Values: [vpcId] },
];

function subnetInfo(subnet: Subnet): SubnetInfo {
  return {
    id: subnet.SubnetId ?? '',
    vpcId: subnet.VpcId ?? '',
    cidrBlock: subnet.CidrBlock,
    ipv6CidrBlocks: (subnet.Ipv6CidrBlockAssociationSet ?? []).map(
      association => association.Ipv6CidrBlock ?? '',
    ),
    availabilityZone: subnet.AvailabilityZone,
    tags: tagRecord(subnet.Tags),
  };
}

function natGatewayInfo(nat: NatGateway): NatGatewayInfo {
  return {
    id: nat.NatGatewayId ?? '',
    vpcId: nat.VpcId ?? '',
    subnetId: nat.SubnetId ?? '',
    state: nat.State ?? '',
    publicIps: (nat.NatGatewayAddresses ?? [])
      .map(address => address.PublicIp)
      .filter(nonEmpty),
  };
}

function routeTableInfo(table: RouteTable): RouteTableInfo {
  const associations = table.Associations ?? [];
  return {
    id: table.RouteTableId ?? '',
    vpcId: table.VpcId ?? '',
    main: associations.some(association => association.Main === true),
    subnetIds: associations
      .map(association => association.SubnetId)
      .filter(nonEmpty),
    natGatewayIds: (table.Routes ?? [])
      .map(route => route.NatGatewayId)
      .filter(nonEmpty),
  };
}

function vpcEndpointInfo(endpoint: VpcEndpoint): VpcEndpointInfo {
  return {
    id: endpoint.VpcEndpointId ?? '',
    vpcId: endpoint.VpcId ?? '',
    serviceName: endpoint.ServiceName ?? '',
    type: endpoint.VpcEndpointType ?? '',
    state: endpoint.State,
  };
}

/** EC2 on AWS SDK v3: a cluster VPC's subnets, NAT gateways, route tables and endpoints. */
export class AwsNetworkGateway implements NetworkGateway {
  constructor(private readonly ec2: AwsApiClientFor<typeof EC2_API>) {}

  async describeSubnets(
    target: AwsTarget,
    filter: SubnetFilter,
  ): Promise<SubnetInfo[]> {
    const filters: Filter[] = [
      ...(filter.vpcId ? inVpc(filter.vpcId) : []),
      ...(filter.tagKey ? [{ Name: 'tag-key', Values: [filter.tagKey] }] : []),
    ];
    return allPages(
      NextToken =>
        this.ec2.send(
          target,
          new DescribeSubnetsCommand({
            SubnetIds: filter.subnetIds,
            Filters: filters.length ? filters : undefined,
            NextToken,
          }),
        ),
      page => ({
        items: (page.Subnets ?? []).map(subnetInfo),
        next: page.NextToken,
      }),
    );
  }

  async describeNatGateways(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<NatGatewayInfo[]> {
    return allPages(
      NextToken =>
        this.ec2.send(
          target,
          // DescribeNatGateways names its filter list `Filter`.
          new DescribeNatGatewaysCommand({
            Filter: inVpc(filter.vpcId),
            NextToken,
          }),
        ),
      page => ({
        items: (page.NatGateways ?? []).map(natGatewayInfo),
        next: page.NextToken,
      }),
    );
  }

  async describeRouteTables(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<RouteTableInfo[]> {
    const Filters = inVpc(filter.vpcId);
    return allPages(
      NextToken =>
        this.ec2.send(
          target,
          new DescribeRouteTablesCommand({ Filters, NextToken }),
        ),
      page => ({
        items: (page.RouteTables ?? []).map(routeTableInfo),
        next: page.NextToken,
      }),
    );
  }

  async describeVpcEndpoints(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<VpcEndpointInfo[]> {
    const Filters = inVpc(filter.vpcId);
    return allPages(
      NextToken =>
        this.ec2.send(
          target,
          new DescribeVpcEndpointsCommand({ Filters, NextToken }),
        ),
      page => ({
        items: (page.VpcEndpoints ?? []).map(vpcEndpointInfo),
        next: page.NextToken,
      }),
    );
  }
}
