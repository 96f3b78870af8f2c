import {
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  TagPolicyCommand,
  TagRoleCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsApiClient } from './AwsApiClient';
import { IAM_API, AwsIamGateway } from './AwsIamGateway';

// The remaining IAM operations: each sends exactly this input and maps the answer.
const target = { accountId: '111122223333', region: 'eu-west-1' };
const doc = {
  Version: '2012-10-17' as const,
  Statement: [
    { Effect: 'Allow' as const, Action: 's3:GetObject', Resource: '*' },
  ],
};
const iam = mockClient(IAMClient);
const gateway = new AwsIamGateway(
  new AwsApiClient(IAM_API, {
    credentialsManager: {
      getCredentialProvider: async () => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: 'a',
          secretAccessKey: 'b',
        }),
      }),
    },
    requestsPerSecond: { iam: 1000 },
  }),
);

beforeEach(() => {
  iam.reset();
});

describe('AwsIamGateway operations', () => {
  it.each([
    [
      'getOidcProvider',
      () => gateway.getOidcProvider(target, 'arn:p'),
      GetOpenIDConnectProviderCommand,
      { OpenIDConnectProviderArn: 'arn:p' },
      {
        Url: 'oidc.example/id/1',
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['t'],
      },
      {
        arn: 'arn:p',
        url: 'oidc.example/id/1',
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['t'],
      },
    ],
    [
      'updateTrustPolicy',
      () => gateway.updateTrustPolicy(target, 'r', doc),
      UpdateAssumeRolePolicyCommand,
      { RoleName: 'r', PolicyDocument: JSON.stringify(doc) },
      {},
      undefined,
    ],
    [
      'tagRole',
      () => gateway.tagRole(target, 'r', { team: 'a' }),
      TagRoleCommand,
      { RoleName: 'r', Tags: [{ Key: 'team', Value: 'a' }] },
      {},
      undefined,
    ],
    [
      'untagRole',
      () =>
        gateway.untagRole(target, 'r', ['irsa.dev/attached-0123456789abcdef']),
      UntagRoleCommand,
      { RoleName: 'r', TagKeys: ['irsa.dev/attached-0123456789abcdef'] },
      {},
      undefined,
    ],
    [
      'tagPolicy',
      () =>
        gateway.tagPolicy(target, 'arn:aws:iam::111122223333:policy/p', {
          'irsa.dev/owner': 'group:default/a',
        }),
      TagPolicyCommand,
      {
        PolicyArn: 'arn:aws:iam::111122223333:policy/p',
        Tags: [{ Key: 'irsa.dev/owner', Value: 'group:default/a' }],
      },
      {},
      undefined,
    ],
    [
      'untagPolicy',
      () =>
        gateway.untagPolicy(target, 'arn:aws:iam::111122223333:policy/p', [
          'irsa.dev/owner',
        ]),
      UntagPolicyCommand,
      {
        PolicyArn: 'arn:aws:iam::111122223333:policy/p',
        TagKeys: ['irsa.dev/owner'],
      },
      {},
      undefined,
    ],
    [
      'deleteRole',
      () => gateway.deleteRole(target, 'r'),
      DeleteRoleCommand,
      { RoleName: 'r' },
      {},
      undefined,
    ],
    [
      'detachRolePolicy',
      () => gateway.detachRolePolicy(target, 'r', 'arn:pol'),
      DetachRolePolicyCommand,
      { RoleName: 'r', PolicyArn: 'arn:pol' },
      {},
      undefined,
    ],
    [
      'listRolePolicies',
      () => gateway.listRolePolicies(target, 'r'),
      ListRolePoliciesCommand,
      { RoleName: 'r', Marker: undefined },
      { PolicyNames: ['a', 'b'], IsTruncated: false },
      ['a', 'b'],
    ],
    [
      'getPolicy (AWS-managed)',
      () => gateway.getPolicy(target, 'arn:aws:iam::aws:policy/ReadOnlyAccess'),
      GetPolicyCommand,
      { PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      {
        Policy: {
          Arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
          PolicyName: 'ReadOnlyAccess',
          Path: '/',
          DefaultVersionId: 'v9',
          AttachmentCount: 4,
        },
      },
      {
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        name: 'ReadOnlyAccess',
        path: '/',
        defaultVersionId: 'v9',
        awsManaged: true,
        attachmentCount: 4,
        tags: {},
      },
    ],
  ] as const)('%s', async (_name, call, Command, input, output, expected) => {
    (iam.on as any)(Command).resolves(output);
    await expect(call()).resolves.toEqual(expected);
    expect(
      (iam.commandCalls as any)(Command).map((c: any) => c.args[0].input),
    ).toEqual([input]);
  });

  it('deletes the non-default versions, then the policy', async () => {
    iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [
        { VersionId: 'v3', IsDefaultVersion: true, CreateDate: new Date(3) },
        { VersionId: 'v2', IsDefaultVersion: false, CreateDate: new Date(2) },
      ],
    });
    await gateway.deletePolicy(target, 'arn:pol');
    expect(
      iam
        .calls()
        .map(c => [(c.args[0] as any).constructor.name, c.args[0].input]),
    ).toEqual([
      ['ListPolicyVersionsCommand', { PolicyArn: 'arn:pol' }],
      ['DeletePolicyVersionCommand', { PolicyArn: 'arn:pol', VersionId: 'v2' }],
      ['DeletePolicyCommand', { PolicyArn: 'arn:pol' }],
    ]);
    expect(iam.commandCalls(DeletePolicyVersionCommand)).toHaveLength(1);
    expect(iam.commandCalls(DeletePolicyCommand)).toHaveLength(1);
  });

  it('waits until IAM shows a new role, retrying NoSuchEntity', async () => {
    iam
      .on(GetRoleCommand)
      .rejectsOnce(
        new NoSuchEntityException({ message: 'not yet', $metadata: {} }),
      )
      .resolves({
        Role: {
          RoleName: 'r',
          Arn: 'arn',
          Path: '/',
          RoleId: 'id',
          CreateDate: new Date(0),
          AssumeRolePolicyDocument: '%7B%7D',
        },
      });
    await gateway.waitUntilRoleExists(target, 'r', 5000);
    expect(iam.commandCalls(GetRoleCommand)).toHaveLength(2);
    iam.reset();
    iam
      .on(GetRoleCommand)
      .rejects(new NoSuchEntityException({ message: 'never', $metadata: {} }));
    await expect(
      gateway.waitUntilRoleExists(target, 'r', 0),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });
});
