import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { buildPodIdentityTrustPolicy } from '@backstage-irsa/plugin-irsa-common';
import { mockClient } from 'aws-sdk-client-mock';
import { GatewayError } from '../gateways/errors';
import { createAwsGatewaysFromOptions } from '../gateways/aws';
import type { ClusterGateway } from '../gateways/types';
import { StaticClusterRegistry } from '../service/clusters';
import type { ClusterFacts, IrsaService } from '../service/types';
import type { ProvisionError } from './ApplyRun';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';
import { PodIdentityAssociationBinding } from './PodIdentityAssociationBinding';

/*
 * The Pod Identity part of provisioning on the real EKS and IAM gateways,
 * with aws-sdk-client-mock: moto does not serve the Pod Identity API, so
 * these pin the exact EKS command inputs instead. The cluster's EKS name
 * differs from its Backstage name on purpose.
 */

const roleName = 'irsa-prod-shop-cart';
const roleArn = `arn:aws:iam::111122223333:role/irsa/${roleName}`;
const oldRoleArn = 'arn:aws:iam::111122223333:role/irsa/cart-before';
const facts: ClusterFacts = {
  cluster: 'prod',
  accountId: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
  issuer: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC',
  oidcProviderArn:
    'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
  oidcProviderExists: false,
  vpcId: 'vpc-0123456789abcdef0',
  subnets: [],
  natPublicIps: ['203.0.113.1'],
  natPublicIpSource: 'nat-gateways',
  vpcEndpoints: [],
  fetchedAt: '2026-11-24T00:00:00.000Z',
};
const ownership = {
  'irsa.dev/managed-by': 'backstage-irsa',
  'irsa.dev/cluster': 'prod',
  'irsa.dev/service-account': 'shop/cart',
  'irsa.dev/entity-ref': 'component:default/cart',
  'irsa.dev/owner': 'group:default/shop',
};
const input: ProvisionInput = {
  cluster: 'prod',
  namespace: 'shop',
  serviceAccount: 'cart',
  mechanism: 'pod-identity',
  policy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::shop/*',
      },
    ],
  },
  entityRef: 'component:default/cart',
  owner: 'group:default/shop',
};
const iamNotFound = () =>
  new NoSuchEntityException({ message: 'not found', $metadata: {} });
const awsRole = {
  RoleName: roleName,
  Arn: roleArn,
  Path: '/irsa/',
  RoleId: 'AROAEXAMPLE',
  CreateDate: new Date(0),
  AssumeRolePolicyDocument: encodeURIComponent(
    JSON.stringify(
      buildPodIdentityTrustPolicy({
        partition: 'aws',
        accountId: '111122223333',
        region: 'eu-west-1',
        clusterName: 'prod-eks',
        namespace: 'shop',
        serviceAccount: 'cart',
      }),
    ),
  ),
};
const association = (roleArnOf: string) => ({
  associationId: 'a-0123456789abcdef0',
  associationArn:
    'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod-eks/a-0123456789abcdef0',
  clusterName: 'prod-eks',
  namespace: 'shop',
  serviceAccount: 'cart',
  roleArn: roleArnOf,
  disableSessionTags: false,
  tags: {
    'irsa.dev/managed-by': 'backstage-irsa',
    'irsa.dev/entity-ref': 'component:default/cart',
  },
});

/** A cluster without the ServiceAccount (which Pod Identity always reads). */
const clusterWithoutServiceAccount = {
  getServiceAccount: async () => undefined,
} as unknown as ClusterGateway;

/** A cluster whose API server refuses to create the ServiceAccount. */
const refusingCluster = {
  reviewAccess: async (_cluster: string, checks: Array<object>) =>
    checks.map(check => ({ ...check, allowed: true })),
  getServiceAccount: async () => undefined,
  createServiceAccount: async () => {
    throw new GatewayError({
      kind: 'access-denied',
      operation: 'k8s:create serviceaccounts',
      message: 'forbidden',
      code: '403',
    });
  },
} as unknown as ClusterGateway;

describe('Pod Identity provisioning on the real EKS gateway (aws-sdk-client-mock)', () => {
  const iam = mockClient(IAMClient);
  const eks = mockClient(EKSClient);

  function setup(options: {
    roleExists: boolean;
    kubernetes?: ClusterGateway;
  }) {
    iam.on(GetAccountSummaryCommand).resolves({
      SummaryMap: {
        AssumeRolePolicySizeQuota: 2048,
        PolicySizeQuota: 6144,
        Roles: 10,
        RolesQuota: 1000,
      },
    });
    if (options.roleExists)
      iam.on(GetRoleCommand).resolves({
        Role: {
          ...awsRole,
          Tags: Object.entries(ownership).map(([Key, Value]) => ({
            Key,
            Value,
          })),
        },
      });
    else
      iam
        .on(GetRoleCommand)
        .rejectsOnce(iamNotFound())
        .resolves({ Role: awsRole });
    iam.on(GetPolicyCommand).rejects(iamNotFound());
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(CreateRoleCommand).resolves({ Role: awsRole });
    iam.on(CreatePolicyCommand).resolves({
      Policy: {
        Arn: `arn:aws:iam::111122223333:policy/irsa/${roleName}-allowlist`,
        PolicyName: `${roleName}-allowlist`,
        DefaultVersionId: 'v1',
      },
    });
    iam.on(AttachRolePolicyCommand).resolves({});
    iam.on(DetachRolePolicyCommand).resolves({});
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [] });
    iam.on(DeletePolicyCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    eks.on(DescribeAddonCommand).resolves({
      addon: { addonName: 'eks-pod-identity-agent', status: 'ACTIVE' },
    });

    const service: IrsaService = {
      mode: 'aws',
      clusters: new StaticClusterRegistry([
        {
          name: 'prod',
          eksClusterName: 'prod-eks',
          accountId: '111122223333',
          region: 'eu-west-1',
          partition: 'aws',
        },
      ]),
      ...createAwsGatewaysFromOptions({
        credentialsManager: {
          getCredentialProvider: async () => ({
            sdkCredentialProvider: async () => ({
              accessKeyId: 'a',
              secretAccessKey: 'b',
            }),
          }),
        },
        requestsPerSecond: { iam: 1000, eks: 1000 },
      }),
      kubernetes: options.kubernetes ?? clusterWithoutServiceAccount,
      facts: { get: async () => facts },
    };
    const provisioner = DefaultProvisioner.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({
        irsa: { provisioning: { rolePath: '/irsa/' } },
      }),
    });
    return { service, provisioner };
  }

  beforeEach(() => {
    iam.reset();
    eks.reset();
  });

  it('looks for the association with List (namespace and ServiceAccount) on the EKS name, then creates it with these exact fields', async () => {
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    eks.on(CreatePodIdentityAssociationCommand).resolves({
      association: association(roleArn),
    });
    const { provisioner } = setup({ roleExists: false });
    const { result } = await provisioner.provision({
      ...input,
      serviceAccountMode: 'none',
    });

    expect(result?.associationId).toBe('a-0123456789abcdef0');
    expect(
      eks
        .commandCalls(ListPodIdentityAssociationsCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      {
        clusterName: 'prod-eks',
        namespace: 'shop',
        serviceAccount: 'cart',
        maxResults: 100,
        nextToken: undefined,
      },
    ]);
    expect(eks.commandCalls(DescribePodIdentityAssociationCommand)).toEqual([]);
    expect(
      eks
        .commandCalls(CreatePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      {
        clusterName: 'prod-eks',
        namespace: 'shop',
        serviceAccount: 'cart',
        roleArn,
        targetRoleArn: undefined,
        disableSessionTags: undefined,
        tags: ownership,
      },
    ]);
    expect(eks.commandCalls(DescribeAddonCommand)[0].args[0].input).toEqual({
      clusterName: 'prod-eks',
      addonName: 'eks-pod-identity-agent',
    });
    // EKS checks the role when associating: the association comes after IAM shows it.
    expect(
      eks
        .commandCalls(CreatePodIdentityAssociationCommand)[0]
        .calledAfter(iam.commandCalls(GetRoleCommand).at(-1)!),
    ).toBe(true);
    expect(
      iam.commandCalls(CreateRoleCommand)[0].args[0].input
        .AssumeRolePolicyDocument,
    ).toBe(decodeURIComponent(awsRole.AssumeRolePolicyDocument));
  });

  it('describes the association it finds, updates only the role, and sends the old role back when a later step fails', async () => {
    eks.on(ListPodIdentityAssociationsCommand).resolves({
      associations: [
        {
          associationId: 'a-0123456789abcdef0',
          clusterName: 'prod-eks',
          namespace: 'shop',
          serviceAccount: 'cart',
        },
      ],
    });
    eks
      .on(DescribePodIdentityAssociationCommand)
      .resolves({ association: association(oldRoleArn) });
    eks.on(UpdatePodIdentityAssociationCommand).resolves({
      association: association(roleArn),
    });
    const { provisioner } = setup({
      roleExists: true,
      kubernetes: refusingCluster,
    });
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;

    expect(error.step).toBe('create ServiceAccount');
    expect(error.leftBehind).toEqual([]);
    expect(
      eks
        .commandCalls(DescribePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      { clusterName: 'prod-eks', associationId: 'a-0123456789abcdef0' },
    ]);
    expect(
      eks
        .commandCalls(UpdatePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      {
        clusterName: 'prod-eks',
        associationId: 'a-0123456789abcdef0',
        roleArn,
        targetRoleArn: undefined,
        disableSessionTags: undefined,
      },
      {
        clusterName: 'prod-eks',
        associationId: 'a-0123456789abcdef0',
        roleArn: oldRoleArn,
        targetRoleArn: undefined,
        disableSessionTags: undefined,
      },
    ]);
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)).toEqual([]);
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)).toEqual([]);
  });

  it("adopts another entity's association in place with these exact TagResource, UntagResource and Update inputs, and undoes each exactly", async () => {
    const associationArn = association(roleArn).associationArn;
    const theirTags = {
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/entity-ref': 'component:default/old-cart',
      'irsa.dev/owner': 'group:default/old',
      'irsa.dev/note': 'from an older release',
      team: 'shop',
    };
    eks.on(ListPodIdentityAssociationsCommand).resolves({
      associations: [
        {
          associationId: 'a-0123456789abcdef0',
          associationArn,
          clusterName: 'prod-eks',
          namespace: 'shop',
          serviceAccount: 'cart',
        },
      ],
    });
    eks.on(DescribePodIdentityAssociationCommand).resolves({
      association: { ...association(oldRoleArn), tags: theirTags },
    });
    eks.on(TagResourceCommand).resolves({});
    eks.on(UntagResourceCommand).resolves({});
    eks.on(UpdatePodIdentityAssociationCommand).resolves({
      association: association(roleArn),
    });
    const { provisioner } = setup({
      roleExists: true,
      kubernetes: refusingCluster,
    });
    const error = (await provisioner
      .provision(
        { ...input, adopt: true },
        {
          caller: { mayAdopt: async () => true, mayUpdate: async () => true },
        },
      )
      .catch(e => e)) as ProvisionError;

    expect(error.step).toBe('create ServiceAccount');
    expect(error.leftBehind).toEqual([]);
    const inputs = (command: Parameters<typeof eks.commandCalls>[0]) =>
      eks.commandCalls(command).map(c => c.args[0].input);
    expect(inputs(TagResourceCommand)).toStrictEqual([
      // Ours: every ownership tag that differs (managed-by is already right).
      {
        resourceArn: associationArn,
        tags: {
          'irsa.dev/cluster': 'prod',
          'irsa.dev/service-account': 'shop/cart',
          'irsa.dev/entity-ref': 'component:default/cart',
          'irsa.dev/owner': 'group:default/shop',
        },
      },
      // Rollback: the irsa.dev/* key it removed, then the values it overwrote.
      {
        resourceArn: associationArn,
        tags: { 'irsa.dev/note': 'from an older release' },
      },
      {
        resourceArn: associationArn,
        tags: {
          'irsa.dev/entity-ref': 'component:default/old-cart',
          'irsa.dev/owner': 'group:default/old',
        },
      },
    ]);
    expect(inputs(UntagResourceCommand)).toStrictEqual([
      { resourceArn: associationArn, tagKeys: ['irsa.dev/note'] },
      // Rollback: the keys it added.
      {
        resourceArn: associationArn,
        tagKeys: ['irsa.dev/cluster', 'irsa.dev/service-account'],
      },
    ]);
    expect(inputs(UpdatePodIdentityAssociationCommand)).toStrictEqual([
      {
        clusterName: 'prod-eks',
        associationId: 'a-0123456789abcdef0',
        roleArn,
        targetRoleArn: undefined,
        disableSessionTags: undefined,
      },
      {
        clusterName: 'prod-eks',
        associationId: 'a-0123456789abcdef0',
        roleArn: oldRoleArn,
        targetRoleArn: undefined,
        disableSessionTags: undefined,
      },
    ]);
    // Ownership first, then the role; never deleted and created again.
    expect(
      eks
        .commandCalls(TagResourceCommand)[0]
        .calledBefore(eks.commandCalls(UpdatePodIdentityAssociationCommand)[0]),
    ).toBe(true);
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)).toEqual([]);
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand)).toEqual([]);
  });

  it('deletes the association it created when a later step fails, then the policies and the role', async () => {
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    eks.on(CreatePodIdentityAssociationCommand).resolves({
      association: association(roleArn),
    });
    eks.on(DeletePodIdentityAssociationCommand).resolves({});
    const { provisioner } = setup({
      roleExists: false,
      kubernetes: refusingCluster,
    });
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;

    expect(error.leftBehind).toEqual([]);
    expect(error.rolledBack[0]).toBe(
      'Pod Identity association a-0123456789abcdef0',
    );
    expect(error.rolledBack.at(-1)).toBe(`role ${roleArn}`);
    expect(
      eks
        .commandCalls(DeletePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      { clusterName: 'prod-eks', associationId: 'a-0123456789abcdef0' },
    ]);
    expect(
      iam.commandCalls(DeleteRoleCommand).map(c => c.args[0].input),
    ).toEqual([{ RoleName: roleName }]);
  });

  it('decommission: finds the association by List + Describe and deletes exactly it; one already gone counts as removed', async () => {
    eks.on(ListPodIdentityAssociationsCommand).resolves({
      associations: [
        {
          associationId: 'a-0123456789abcdef0',
          clusterName: 'prod-eks',
          namespace: 'shop',
          serviceAccount: 'cart',
        },
      ],
    });
    eks
      .on(DescribePodIdentityAssociationCommand)
      .resolves({ association: association(roleArn) });
    eks
      .on(DeletePodIdentityAssociationCommand)
      .resolvesOnce({})
      .rejects(
        new ResourceNotFoundException({ message: 'gone', $metadata: {} }),
      );
    const { service } = setup({ roleExists: true });
    const binding = new PodIdentityAssociationBinding(
      service.eks,
      service.clusters,
    );
    const lookup = {
      cluster: 'prod',
      namespace: 'shop',
      serviceAccount: 'cart',
      entityRef: 'component:default/cart',
      accountId: '111122223333',
      roleName,
      deleteServiceAccount: false,
    };
    const found = await binding.find(lookup);
    expect(found.conflicts).toEqual([]);
    expect(found.bindings.map(b => b.description)).toEqual([
      'Pod Identity association a-0123456789abcdef0 of shop/cart',
    ]);
    await found.bindings[0].remove();
    await found.bindings[0].remove();
    expect(
      eks
        .commandCalls(DeletePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      { clusterName: 'prod-eks', associationId: 'a-0123456789abcdef0' },
      { clusterName: 'prod-eks', associationId: 'a-0123456789abcdef0' },
    ]);
  });
});
