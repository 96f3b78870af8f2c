import {
  AccessDeniedException,
  BadRequestException,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  InvalidParameterException,
  ListPodIdentityAssociationsCommand,
  NotFoundException,
  ResourceInUseException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePodIdentityAssociationCommand,
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

const CLUSTER_ARN = 'arn:aws:eks:eu-west-1:111122223333:cluster/prod';
const ROLE = 'arn:aws:iam::111122223333:role/irsa/prod-shop';
const association = (id: string) => ({
  clusterName: 'prod',
  namespace: 'shop',
  serviceAccount: 'shop',
  roleArn: ROLE,
  associationArn: `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/${id}`,
  associationId: id,
  tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
  createdAt: new Date('2026-11-20T10:00:00Z'),
  modifiedAt: new Date('2026-11-21T10:00:00Z'),
});
const associationInfo = (id: string) => ({
  associationId: id,
  associationArn: `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/${id}`,
  clusterName: 'prod',
  namespace: 'shop',
  serviceAccount: 'shop',
  roleArn: ROLE,
  disableSessionTags: false,
  tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
  createdAt: '2026-11-20T10:00:00.000Z',
  modifiedAt: '2026-11-21T10:00:00.000Z',
});
const inputsOf = (command: Parameters<typeof eks.commandCalls>[0]) =>
  eks.commandCalls(command).map(call => call.args[0].input);

describe('AwsEksGateway add-ons', () => {
  it('describes an add-on by cluster and name', async () => {
    eks.on(DescribeAddonCommand).resolves({
      addon: {
        addonName: 'eks-pod-identity-agent',
        clusterName: 'prod',
        status: 'ACTIVE',
        addonVersion: 'v1.3.4-eksbuild.1',
      },
    });
    await expect(
      g.describeAddon(target, 'prod', 'eks-pod-identity-agent'),
    ).resolves.toStrictEqual({
      name: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      version: 'v1.3.4-eksbuild.1',
    });
    expect(inputsOf(DescribeAddonCommand)).toStrictEqual([
      { clusterName: 'prod', addonName: 'eks-pod-identity-agent' },
    ]);
  });

  it('reports an add-on that is not installed as not-found', async () => {
    eks.on(DescribeAddonCommand).rejects(
      new ResourceNotFoundException({
        message: 'No addon: eks-pod-identity-agent found in cluster: prod',
        $metadata: { requestId: 'req-addon' },
      }),
    );
    await expect(
      g.describeAddon(target, 'prod', 'eks-pod-identity-agent'),
    ).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'eks:DescribeAddon',
      code: 'ResourceNotFoundException',
      requestId: 'req-addon',
    });
  });
});

describe('AwsEksGateway Pod Identity associations', () => {
  it('lists every page of associations, 100 at a time, with the filters given', async () => {
    const summary = (id: string, ownerArn?: string) => ({
      clusterName: 'prod',
      namespace: 'shop',
      serviceAccount: `sa-${id}`,
      associationArn: `arn:assoc/${id}`,
      associationId: id,
      ...(ownerArn ? { ownerArn } : {}),
    });
    eks
      .on(ListPodIdentityAssociationsCommand)
      .resolvesOnce({
        associations: [summary('a-1'), summary('a-2')],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        associations: [summary('a-3', `${CLUSTER_ARN}/addon/vpc-cni`)],
      });
    await expect(
      g.listPodIdentityAssociations(target, 'prod', { namespace: 'shop' }),
    ).resolves.toStrictEqual([
      {
        associationId: 'a-1',
        associationArn: 'arn:assoc/a-1',
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'sa-a-1',
      },
      {
        associationId: 'a-2',
        associationArn: 'arn:assoc/a-2',
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'sa-a-2',
      },
      {
        associationId: 'a-3',
        associationArn: 'arn:assoc/a-3',
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'sa-a-3',
        ownerArn: `${CLUSTER_ARN}/addon/vpc-cni`,
      },
    ]);
    expect(inputsOf(ListPodIdentityAssociationsCommand)).toEqual([
      {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: undefined,
        maxResults: 100,
        nextToken: undefined,
      },
      {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: undefined,
        maxResults: 100,
        nextToken: 'page-2',
      },
    ]);
  });

  it('filters by namespace and ServiceAccount together, and lists the whole cluster without a filter', async () => {
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    await g.listPodIdentityAssociations(target, 'prod', {
      namespace: 'shop',
      serviceAccount: 'checkout',
    });
    await g.listPodIdentityAssociations(target, 'prod');
    expect(inputsOf(ListPodIdentityAssociationsCommand)).toEqual([
      {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'checkout',
        maxResults: 100,
      },
      { clusterName: 'prod', maxResults: 100 },
    ]);
  });

  it('describes an association: ISO dates, tags, session tags on by default', async () => {
    eks
      .on(DescribePodIdentityAssociationCommand)
      .resolves({ association: association('a-1') });
    await expect(
      g.describePodIdentityAssociation(target, 'prod', 'a-1'),
    ).resolves.toStrictEqual(associationInfo('a-1'));
    expect(inputsOf(DescribePodIdentityAssociationCommand)).toStrictEqual([
      { clusterName: 'prod', associationId: 'a-1' },
    ]);
  });

  it('maps the cross-account target role, its external id, the owner and disabled session tags', async () => {
    eks.on(DescribePodIdentityAssociationCommand).resolves({
      association: {
        ...association('a-2'),
        targetRoleArn: 'arn:aws:iam::444455556666:role/data-reader',
        externalId: 'f1e2d3c4-0000-4000-8000-000000000000',
        ownerArn: `${CLUSTER_ARN}/addon/aws-ebs-csi-driver`,
        disableSessionTags: true,
      },
    });
    await expect(
      g.describePodIdentityAssociation(target, 'prod', 'a-2'),
    ).resolves.toStrictEqual({
      ...associationInfo('a-2'),
      targetRoleArn: 'arn:aws:iam::444455556666:role/data-reader',
      externalId: 'f1e2d3c4-0000-4000-8000-000000000000',
      ownerArn: `${CLUSTER_ARN}/addon/aws-ebs-csi-driver`,
      disableSessionTags: true,
    });
  });

  it('creates an association with the exact input', async () => {
    eks
      .on(CreatePodIdentityAssociationCommand)
      .resolves({ association: association('a-9') });
    await expect(
      g.createPodIdentityAssociation(target, {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'shop',
        roleArn: ROLE,
        targetRoleArn: 'arn:aws:iam::444455556666:role/data-reader',
        disableSessionTags: false,
        tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
      }),
    ).resolves.toStrictEqual(associationInfo('a-9'));
    expect(inputsOf(CreatePodIdentityAssociationCommand)).toStrictEqual([
      {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'shop',
        roleArn: ROLE,
        targetRoleArn: 'arn:aws:iam::444455556666:role/data-reader',
        disableSessionTags: false,
        tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
      },
    ]);
  });

  it('invents no defaults for the optional fields on create', async () => {
    eks
      .on(CreatePodIdentityAssociationCommand)
      .resolves({ association: association('a-9') });
    await g.createPodIdentityAssociation(target, {
      clusterName: 'prod',
      namespace: 'shop',
      serviceAccount: 'shop',
      roleArn: ROLE,
      tags: {},
    });
    expect(inputsOf(CreatePodIdentityAssociationCommand)).toEqual([
      {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'shop',
        roleArn: ROLE,
        tags: {},
      },
    ]);
  });

  it('reports an association that already exists for the ServiceAccount as already-exists', async () => {
    eks.on(CreatePodIdentityAssociationCommand).rejects(
      new ResourceInUseException({
        message:
          'Association already exists: a-1 for namespace: shop and serviceAccount: shop',
        $metadata: { requestId: 'req-inuse' },
      }),
    );
    await expect(
      g.createPodIdentityAssociation(target, {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'shop',
        roleArn: ROLE,
        tags: {},
      }),
    ).rejects.toMatchObject({
      kind: 'already-exists',
      operation: 'eks:CreatePodIdentityAssociation',
      code: 'ResourceInUseException',
      requestId: 'req-inuse',
    });
  });

  it.each([
    [
      new InvalidParameterException({
        message: 'Role arn is not valid',
        $metadata: {},
      }),
      'invalid-input',
    ],
    [
      new AccessDeniedException({
        message: 'not authorized to perform: iam:PassRole',
        $metadata: {},
      }),
      'access-denied',
    ],
    [
      new ResourceLimitExceededException({
        message: 'Pod identity associations limit exceeded',
        $metadata: {},
      }),
      'limit-exceeded',
    ],
  ])('maps %p on create to %s', async (error, kind) => {
    eks.on(CreatePodIdentityAssociationCommand).rejects(error);
    await expect(
      g.createPodIdentityAssociation(target, {
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'shop',
        roleArn: ROLE,
        tags: {},
      }),
    ).rejects.toMatchObject({ kind, code: error.name });
  });

  it('updates only the fields given; an empty target role removes it', async () => {
    eks
      .on(UpdatePodIdentityAssociationCommand)
      .resolves({ association: association('a-1') });
    await expect(
      g.updatePodIdentityAssociation(target, 'prod', 'a-1', {
        roleArn: ROLE,
        targetRoleArn: '',
      }),
    ).resolves.toStrictEqual(associationInfo('a-1'));
    await g.updatePodIdentityAssociation(target, 'prod', 'a-1', {
      disableSessionTags: true,
    });
    expect(inputsOf(UpdatePodIdentityAssociationCommand)).toEqual([
      {
        clusterName: 'prod',
        associationId: 'a-1',
        roleArn: ROLE,
        targetRoleArn: '',
      },
      { clusterName: 'prod', associationId: 'a-1', disableSessionTags: true },
    ]);
  });

  it('refuses an update that changes nothing, before calling EKS', async () => {
    await expect(
      g.updatePodIdentityAssociation(target, 'prod', 'a-1', {}),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      operation: 'eks:UpdatePodIdentityAssociation',
      message:
        'eks:UpdatePodIdentityAssociation: input: give at least one of roleArn, targetRoleArn, disableSessionTags',
    });
    expect(eks.calls()).toHaveLength(0);
  });

  it('deletes an association by cluster and id, and reports one already gone as not-found', async () => {
    eks
      .on(DeletePodIdentityAssociationCommand)
      .resolvesOnce({ association: association('a-1') })
      .rejectsOnce(
        new ResourceNotFoundException({
          message: 'Association not found: a-1',
          $metadata: { requestId: 'req-gone' },
        }),
      );
    await expect(
      g.deletePodIdentityAssociation(target, 'prod', 'a-1'),
    ).resolves.toBeUndefined();
    await expect(
      g.deletePodIdentityAssociation(target, 'prod', 'a-1'),
    ).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'eks:DeletePodIdentityAssociation',
      requestId: 'req-gone',
    });
    expect(inputsOf(DeletePodIdentityAssociationCommand)).toStrictEqual([
      { clusterName: 'prod', associationId: 'a-1' },
      { clusterName: 'prod', associationId: 'a-1' },
    ]);
  });
});

describe('AwsEksGateway tags', () => {
  const ARN =
    'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-1';

  it('tags and untags a resource by ARN with the exact input', async () => {
    eks.on(TagResourceCommand).resolves({});
    eks.on(UntagResourceCommand).resolves({});
    await expect(
      g.tagResource(target, ARN, {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': 'component:default/cart',
      }),
    ).resolves.toBeUndefined();
    await expect(
      g.untagResource(target, ARN, ['irsa.dev/old', 'team']),
    ).resolves.toBeUndefined();
    expect(inputsOf(TagResourceCommand)).toStrictEqual([
      {
        resourceArn: ARN,
        tags: {
          'irsa.dev/managed-by': 'backstage-irsa',
          'irsa.dev/entity-ref': 'component:default/cart',
        },
      },
    ]);
    expect(inputsOf(UntagResourceCommand)).toStrictEqual([
      { resourceArn: ARN, tagKeys: ['irsa.dev/old', 'team'] },
    ]);
  });

  it('reports a resource that does not exist as not-found, and a bad tag as invalid-input', async () => {
    eks
      .on(TagResourceCommand)
      .rejectsOnce(
        new NotFoundException({
          message: 'Resource not found',
          $metadata: { requestId: 'req-tag' },
        }),
      )
      .rejectsOnce(
        new BadRequestException({
          message: 'Tag keys cannot start with aws:',
          $metadata: {},
        }),
      );
    eks
      .on(UntagResourceCommand)
      .rejects(
        new NotFoundException({ message: 'Resource not found', $metadata: {} }),
      );
    await expect(g.tagResource(target, ARN, { a: 'b' })).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'eks:TagResource',
      code: 'NotFoundException',
      requestId: 'req-tag',
    });
    await expect(
      g.tagResource(target, ARN, { 'aws:x': 'b' }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      code: 'BadRequestException',
    });
    await expect(g.untagResource(target, ARN, ['a'])).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'eks:UntagResource',
    });
  });

  it('refuses to tag or untag nothing, before calling EKS', async () => {
    await expect(g.tagResource(target, ARN, {})).rejects.toMatchObject({
      kind: 'invalid-input',
      message: 'eks:TagResource: tags: give at least one tag',
    });
    await expect(g.untagResource(target, ARN, [])).rejects.toMatchObject({
      kind: 'invalid-input',
      message: 'eks:UntagResource: keys: give at least one tag key',
    });
    expect(eks.calls()).toHaveLength(0);
  });
});
