import {
  DescribeClusterCommand,
  EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { dummyCredentialsManager } from '../../__testUtils__/awsCredentials';
import { AwsApiClient } from './AwsApiClient';
import { EKS_API, AwsEksGateway } from './AwsEksGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const eks = mockClient(EKSClient);
const g = new AwsEksGateway(
  new AwsApiClient(EKS_API, { credentialsManager: dummyCredentialsManager() }),
);

beforeEach(() => eks.reset());

describe('AwsEksGateway', () => {
  it('maps the issuer and network of the cluster', async () => {
    eks.on(DescribeClusterCommand, { name: 'prod' }).resolves({
      cluster: {
        name: 'prod',
        arn: 'arn:eks',
        status: 'ACTIVE',
        identity: {
          oidc: { issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' },
        },
        resourcesVpcConfig: { vpcId: 'vpc-1', subnetIds: ['s1'] },
      },
    });
    expect(await g.describeCluster(target, 'prod')).toEqual({
      name: 'prod',
      arn: 'arn:eks',
      status: 'ACTIVE',
      endpoint: undefined,
      issuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
      vpcId: 'vpc-1',
      subnetIds: ['s1'],
    });
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('reports a missing cluster as not-found', async () => {
    eks.on(DescribeClusterCommand).rejects(
      new ResourceNotFoundException({
        message: 'No cluster found for name: nope.',
        $metadata: { requestId: 'req-eks' },
      }),
    );
    await expect(g.describeCluster(target, 'nope')).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'eks:DescribeCluster',
      code: 'ResourceNotFoundException',
      requestId: 'req-eks',
    });
  });
});
