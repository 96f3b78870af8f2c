import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsGatewaysFromOptions } from '../gateways/aws';
import type { ClusterGateway } from '../gateways/types';
import { StaticClusterRegistry } from '../service/clusters';
import type { ClusterFacts, IrsaService } from '../service/types';
import { DefaultProvisioner } from './DefaultProvisioner';

const issuer = 'oidc.eks.eu-west-1.amazonaws.com/id/ABC';
const facts: ClusterFacts = {
  cluster: 'prod',
  accountId: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
  issuer,
  oidcProviderArn: `arn:aws:iam::111122223333:oidc-provider/${issuer}`,
  oidcProviderExists: true,
  vpcId: 'vpc-0123456789abcdef0',
  subnets: [],
  natPublicIps: ['203.0.113.1'],
  natPublicIpSource: 'nat-gateways',
  vpcEndpoints: [],
  fetchedAt: '2026-11-24T00:00:00.000Z',
};
const notFound = () =>
  new NoSuchEntityException({ message: 'not found', $metadata: {} });

describe('DefaultProvisioner on the real IAM gateway (aws-sdk-client-mock)', () => {
  const iam = mockClient(IAMClient);
  beforeEach(() => iam.reset());

  it('sends exactly these IAM calls with these documents, in dependency order', async () => {
    iam.on(GetAccountSummaryCommand).resolves({
      SummaryMap: {
        AssumeRolePolicySizeQuota: 2048,
        PolicySizeQuota: 6144,
        Roles: 10,
        RolesQuota: 1000,
      },
    });
    iam
      .on(GetRoleCommand)
      .rejectsOnce(notFound())
      .resolves({
        Role: {
          RoleName: 'irsa-prod-shop-cart',
          Arn: 'arn',
          Path: '/irsa/',
          RoleId: 'id',
          CreateDate: new Date(0),
          AssumeRolePolicyDocument: '%7B%7D',
        },
      });
    iam.on(GetPolicyCommand).rejects(notFound());
    iam.on(ListAttachedRolePoliciesCommand).rejects(notFound());
    iam.on(CreateRoleCommand).resolves({
      Role: {
        RoleName: 'irsa-prod-shop-cart',
        Arn: 'arn',
        Path: '/irsa/',
        RoleId: 'id',
        CreateDate: new Date(0),
        AssumeRolePolicyDocument: '%7B%7D',
      },
    });
    iam.on(CreatePolicyCommand).resolves({
      Policy: { Arn: 'p', PolicyName: 'p', DefaultVersionId: 'v1' },
    });
    iam.on(AttachRolePolicyCommand).resolves({});

    const credentialsManager = {
      getCredentialProvider: async () => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: 'a',
          secretAccessKey: 'b',
        }),
      }),
    };
    const service: IrsaService = {
      mode: 'aws',
      clusters: new StaticClusterRegistry([
        {
          name: 'prod',
          eksClusterName: 'prod',
          accountId: '111122223333',
          region: 'eu-west-1',
          partition: 'aws',
        },
      ]),
      ...createAwsGatewaysFromOptions({
        credentialsManager,
        requestsPerSecond: { iam: 1000 },
      }),
      kubernetes: {} as ClusterGateway,
      facts: { get: async () => facts },
    };
    const provisioner = DefaultProvisioner.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({
        irsa: { provisioning: { rolePath: '/irsa/' } },
      }),
    });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::shop/*'],
        },
      ],
    };
    await provisioner.apply(
      await provisioner.plan({
        cluster: 'prod',
        namespace: 'shop',
        serviceAccount: 'cart',
        policy,
        serviceAccountMode: 'none',
        entityRef: 'component:default/cart',
        owner: 'group:default/shop',
      }),
    );

    const names = iam
      .calls()
      .map(c => (c.args[0] as any).constructor.name.replace(/Command$/, ''));
    // Preflight reads (concurrent), then role, then both policies, then both attachments, then the wait.
    expect(names.slice(0, 5).sort()).toEqual([
      'GetAccountSummary',
      'GetPolicy',
      'GetPolicy',
      'GetRole',
      'ListAttachedRolePolicies',
    ]);
    expect(names.slice(5)).toEqual([
      'CreateRole',
      'CreatePolicy',
      'CreatePolicy',
      'AttachRolePolicy',
      'AttachRolePolicy',
      'GetRole',
    ]);

    const tags = [
      { Key: 'irsa.dev/managed-by', Value: 'backstage-irsa' },
      { Key: 'irsa.dev/cluster', Value: 'prod' },
      { Key: 'irsa.dev/service-account', Value: 'shop/cart' },
      { Key: 'irsa.dev/entity-ref', Value: 'component:default/cart' },
      { Key: 'irsa.dev/owner', Value: 'group:default/shop' },
    ];
    expect(iam.commandCalls(CreateRoleCommand)[0].args[0].input).toEqual({
      RoleName: 'irsa-prod-shop-cart',
      Path: '/irsa/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: facts.oidcProviderArn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${issuer}:sub`]: 'system:serviceaccount:shop:cart',
                [`${issuer}:aud`]: 'sts.amazonaws.com',
              },
            },
          },
        ],
      }),
      Description: 'IRSA role for component:default/cart (shop/cart on prod)',
      MaxSessionDuration: undefined,
      PermissionsBoundary: undefined,
      Tags: tags,
    });
    const created = Object.fromEntries(
      iam
        .commandCalls(CreatePolicyCommand)
        .map(c => [c.args[0].input.PolicyName, c.args[0].input]),
    );
    expect(created['irsa-prod-shop-cart']).toEqual({
      PolicyName: 'irsa-prod-shop-cart',
      Path: '/irsa/',
      PolicyDocument: JSON.stringify(policy),
      Description: undefined,
      Tags: tags,
    });
    expect(
      JSON.parse(created['irsa-prod-shop-cart-allowlist'].PolicyDocument!),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyOutsideCluster',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            NotIpAddressIfExists: { 'aws:SourceIp': ['203.0.113.1/32'] },
            StringNotEqualsIfExists: {
              'aws:SourceVpc': ['vpc-0123456789abcdef0'],
            },
            BoolIfExists: { 'aws:ViaAWSService': 'false' },
          },
        },
      ],
    });
    expect(
      iam
        .commandCalls(AttachRolePolicyCommand)
        .map(c => c.args[0].input.PolicyArn)
        .sort(),
    ).toEqual([
      'arn:aws:iam::111122223333:policy/irsa/irsa-prod-shop-cart',
      'arn:aws:iam::111122223333:policy/irsa/irsa-prod-shop-cart-allowlist',
    ]);
  });
});
