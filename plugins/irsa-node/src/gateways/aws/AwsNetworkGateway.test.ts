import {
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { EC2_API, AwsNetworkGateway } from './AwsNetworkGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const ec2 = mockClient(EC2Client);
const g = new AwsNetworkGateway(
  new AwsApiClient(EC2_API, {
    credentialsManager: dummyCredentialsManager(),
    requestsPerSecond: { ec2: 1000 },
  }),
);

beforeEach(() => ec2.reset());

describe('AwsNetworkGateway', () => {
  it('maps the NAT gateways, route tables and endpoints of a VPC', async () => {
    ec2
      .on(DescribeNatGatewaysCommand, {
        Filter: [{ Name: 'vpc-id', Values: ['vpc-1'] }],
        NextToken: undefined,
      })
      .resolves({
        NatGateways: [
          {
            NatGatewayId: 'nat-1',
            VpcId: 'vpc-1',
            SubnetId: 'sp',
            State: 'available',
            NatGatewayAddresses: [
              { PublicIp: '203.0.113.1' },
              { PrivateIp: '10.0.0.5' },
            ],
          },
        ],
      });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-1',
          VpcId: 'vpc-1',
          Associations: [{ Main: true }, { SubnetId: 's1' }],
          Routes: [{ NatGatewayId: 'nat-1' }, { GatewayId: 'local' }],
        },
      ],
    });
    ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: [
        {
          VpcEndpointId: 'vpce-1',
          VpcId: 'vpc-1',
          ServiceName: 'com.amazonaws.eu-west-1.sts',
          VpcEndpointType: 'Interface',
          State: 'Available',
        },
      ],
    });
    expect(await g.describeNatGateways(target, { vpcId: 'vpc-1' })).toEqual([
      {
        id: 'nat-1',
        vpcId: 'vpc-1',
        subnetId: 'sp',
        state: 'available',
        publicIps: ['203.0.113.1'],
      },
    ]);
    expect(await g.describeRouteTables(target, { vpcId: 'vpc-1' })).toEqual([
      {
        id: 'rtb-1',
        vpcId: 'vpc-1',
        main: true,
        subnetIds: ['s1'],
        natGatewayIds: ['nat-1'],
      },
    ]);
    expect(await g.describeVpcEndpoints(target, { vpcId: 'vpc-1' })).toEqual([
      {
        id: 'vpce-1',
        vpcId: 'vpc-1',
        serviceName: 'com.amazonaws.eu-west-1.sts',
        type: 'Interface',
        state: 'Available',
      },
    ]);
  });

  it('follows EC2 tokens across pages and filters subnets by VPC and tag key', async () => {
    ec2
      .on(DescribeSubnetsCommand)
      .resolvesOnce({
        Subnets: [
          {
            SubnetId: 's1',
            VpcId: 'v',
            Tags: [{ Key: 'kubernetes.io/cluster/c', Value: 'shared' }],
          },
        ],
        NextToken: 't',
      })
      .resolvesOnce({ Subnets: [{ SubnetId: 's2', VpcId: 'v' }] });
    const subnets = await g.describeSubnets(target, {
      vpcId: 'v',
      tagKey: 'kubernetes.io/cluster/c',
    });
    expect(subnets.map(s => s.id)).toEqual(['s1', 's2']);
    expect(
      ec2.commandCalls(DescribeSubnetsCommand).map(c => c.args[0].input),
    ).toEqual([
      {
        SubnetIds: undefined,
        Filters: [
          { Name: 'vpc-id', Values: ['v'] },
          { Name: 'tag-key', Values: ['kubernetes.io/cluster/c'] },
        ],
        NextToken: undefined,
      },
      {
        SubnetIds: undefined,
        Filters: [
          { Name: 'vpc-id', Values: ['v'] },
          { Name: 'tag-key', Values: ['kubernetes.io/cluster/c'] },
        ],
        NextToken: 't',
      },
    ]);
  });
});
