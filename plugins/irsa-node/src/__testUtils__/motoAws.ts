import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader, type Config } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { createAwsGateways } from '../gateways/aws';
import type { AwsGateways } from '../gateways/types';
import { MOTO_ACCOUNT_ID } from './motoServer';

/*
 * Test-only: production wiring pointed at moto, and a realistic EKS network
 * seeded into it with the SDK.
 */

/** moto accepts any key; these never leave the test process. */
const DUMMY_KEYS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * App config as an operator would write it, with `irsa.aws.endpoints` on
 * moto. The account is listed under `aws.accounts` with static keys: with
 * only `aws.mainAccount`, the credentials manager asks the public STS
 * endpoint (not `irsa.aws.endpoints.sts`) which account the keys belong to.
 */
export function motoAppConfig(endpoint: string, irsa: JsonObject = {}): Config {
  return new ConfigReader({
    aws: {
      mainAccount: DUMMY_KEYS,
      accounts: [{ accountId: MOTO_ACCOUNT_ID, ...DUMMY_KEYS }],
    },
    irsa: {
      ...irsa,
      aws: {
        endpoints: {
          iam: endpoint,
          sts: endpoint,
          ec2: endpoint,
          eks: endpoint,
        },
        maxAttempts: 1,
        timeoutMs: 15_000,
      },
    },
  });
}

/** The real AWS gateways, built exactly as `createIrsaService` builds them. */
export function createMotoAwsGateways(config: Config): AwsGateways {
  return createAwsGateways({
    config,
    logger: mockServices.logger.mock(),
    credentialsManager: DefaultAwsCredentialsManager.fromConfig(config),
  });
}

/** Raw SDK clients on moto, for test setup and for reading state back. */
export function motoClients(endpoint: string, region: string) {
  const base = { endpoint, region, credentials: DUMMY_KEYS, maxAttempts: 1 };
  return {
    iam: new IAMClient(base),
    ec2: new EC2Client(base),
    eks: new EKSClient(base),
    destroy() {
      this.iam.destroy();
      this.ec2.destroy();
      this.eks.destroy();
    },
  };
}

/** The Elastic IP of the seeded NAT gateway. */
export const NAT_PUBLIC_IP = '3.120.45.67';

/** What seedEksCluster created, for exact assertions. */
export interface SeededCluster {
  clusterName: string;
  issuer: string;
  oidcProviderArn: string;
  vpcId: string;
  privateSubnetIds: string[];
  publicSubnetId: string;
  untaggedSubnetId: string;
  natGatewayId: string;
  natPublicIp: string;
  privateRouteTableId: string;
  vpcEndpointId: string;
}

/**
 * An EKS cluster the way a platform team builds one: a VPC, two private
 * subnets tagged `kubernetes.io/cluster/NAME` routing 0.0.0.0/0 to a NAT
 * gateway with an Elastic IP in a public subnet, an S3 gateway endpoint, and
 * the IAM OIDC provider for the cluster's issuer.
 */
export async function seedEksCluster(
  endpoint: string,
  options: { clusterName: string; region: string },
): Promise<SeededCluster> {
  const { clusterName, region } = options;
  const clients = motoClients(endpoint, region);
  try {
    const { ec2, eks, iam } = clients;
    const vpc = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }),
    );
    const vpcId = vpc.Vpc!.VpcId!;
    const subnet = async (cidr: string, az: string, tagged: boolean) =>
      (
        await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: cidr,
            AvailabilityZone: `${region}${az}`,
            ...(tagged
              ? {
                  TagSpecifications: [
                    {
                      ResourceType: 'subnet',
                      Tags: [
                        {
                          Key: `kubernetes.io/cluster/${clusterName}`,
                          Value: 'shared',
                        },
                      ],
                    },
                  ],
                }
              : {}),
          }),
        )
      ).Subnet!.SubnetId!;
    const privateA = await subnet('10.40.1.0/24', 'a', true);
    const privateB = await subnet('10.40.2.0/24', 'b', true);
    const publicSubnetId = await subnet('10.40.100.0/24', 'a', false);
    const untaggedSubnetId = await subnet('10.40.200.0/24', 'c', false);

    // A fixed public address: moto's random ones can fall in 127.0.0.0/8,
    // which the allowlist rightly refuses.
    const eip = await ec2.send(
      new AllocateAddressCommand({ Domain: 'vpc', Address: NAT_PUBLIC_IP }),
    );
    const nat = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: publicSubnetId,
        AllocationId: eip.AllocationId,
      }),
    );
    const natGatewayId = nat.NatGateway!.NatGatewayId!;
    const table = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const privateRouteTableId = table.RouteTable!.RouteTableId!;
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: privateRouteTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: natGatewayId,
      }),
    );
    for (const SubnetId of [privateA, privateB]) {
      await ec2.send(
        new AssociateRouteTableCommand({
          RouteTableId: privateRouteTableId,
          SubnetId,
        }),
      );
    }
    const vpcEndpoint = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: `com.amazonaws.${region}.s3`,
        VpcEndpointType: 'Gateway',
        RouteTableIds: [privateRouteTableId],
      }),
    );

    const clusterRole = await iam.send(
      new CreateRoleCommand({
        RoleName: `${clusterName}-eks-cluster`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'eks.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    const cluster = await eks.send(
      new CreateClusterCommand({
        name: clusterName,
        roleArn: clusterRole.Role!.Arn!,
        resourcesVpcConfig: { subnetIds: [privateA, privateB] },
      }),
    );
    const issuerUrl = cluster.cluster!.identity!.oidc!.issuer!;
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: issuerUrl,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      }),
    );
    return {
      clusterName,
      issuer: issuerUrl.replace(/^https:\/\//, ''),
      oidcProviderArn: provider.OpenIDConnectProviderArn!,
      vpcId,
      privateSubnetIds: [privateA, privateB],
      publicSubnetId,
      untaggedSubnetId,
      natGatewayId,
      natPublicIp: eip.PublicIp!,
      privateRouteTableId,
      vpcEndpointId: vpcEndpoint.VpcEndpoint!.VpcEndpointId!,
    };
  } finally {
    clients.destroy();
  }
}
