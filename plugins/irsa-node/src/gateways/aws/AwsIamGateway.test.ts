import {
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  GetAccountSummaryCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { GatewayError } from '../errors';
import { AwsApiClient } from './AwsApiClient';
import { IAM_API, AwsIamGateway } from './AwsIamGateway';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const trust = {
  Version: '2012-10-17' as const,
  Statement: [
    { Effect: 'Allow' as const, Action: 'sts:AssumeRoleWithWebIdentity' },
  ],
};

const iam = mockClient(IAMClient);

function gateway() {
  const credentialsManager = {
    getCredentialProvider: jest.fn(async () => ({
      sdkCredentialProvider: async () => ({
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 'secret',
      }),
    })),
  };
  return {
    gateway: new AwsIamGateway(
      new AwsApiClient(IAM_API, {
        credentialsManager,
        endpoints: { iam: 'https://iam.example.internal' },
      }),
    ),
    credentialsManager,
  };
}

beforeEach(() => {
  iam.reset();
});

describe('AwsIamGateway', () => {
  it('creates a role with the exact CreateRole input, credentials for the target account and the endpoint override', async () => {
    const { gateway: g, credentialsManager } = gateway();
    iam.on(CreateRoleCommand).resolves({
      Role: {
        RoleName: 'r',
        Arn: 'arn:aws:iam::111122223333:role/irsa/r',
        Path: '/irsa/',
        RoleId: 'AROA1',
        CreateDate: new Date('2026-11-24T00:00:00Z'),
        AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
      },
    });
    const role = await g.createRole(target, {
      name: 'r',
      path: '/irsa/',
      trustPolicy: trust,
      tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
      maxSessionDuration: 3600,
    });
    expect(iam.commandCalls(CreateRoleCommand)[0].args[0].input).toEqual({
      RoleName: 'r',
      Path: '/irsa/',
      AssumeRolePolicyDocument: JSON.stringify(trust),
      Description: undefined,
      MaxSessionDuration: 3600,
      PermissionsBoundary: undefined,
      Tags: [{ Key: 'irsa.dev/managed-by', Value: 'backstage-irsa' }],
    });
    expect(role).toMatchObject({
      arn: 'arn:aws:iam::111122223333:role/irsa/r',
      trustPolicy: trust,
      createDate: '2026-11-24T00:00:00.000Z',
    });
    expect(credentialsManager.getCredentialProvider).toHaveBeenCalledWith({
      accountId: '111122223333',
    });
    const client = iam.commandCalls(CreateRoleCommand)[0]
      .thisValue as IAMClient;
    expect(await client.config.endpoint!()).toMatchObject({
      hostname: 'iam.example.internal',
    });
  });

  it('reads the live quotas from GetAccountSummary under their real keys', async () => {
    const { gateway: g } = gateway();
    iam.on(GetAccountSummaryCommand).resolves({
      SummaryMap: {
        AssumeRolePolicySizeQuota: 4096,
        PolicySizeQuota: 6144,
        RolePolicySizeQuota: 10240,
        AttachedPoliciesPerRoleQuota: 20,
        Roles: 12,
        RolesQuota: 5000,
        Policies: 3,
        PoliciesQuota: 1500,
      },
    });
    expect(await g.getAccountQuotas(target)).toEqual({
      assumeRolePolicySizeMax: 4096,
      policySizeQuota: 6144,
      rolePolicySizeQuota: 10240,
      attachedPoliciesPerRoleQuota: 20,
      roles: 12,
      rolesQuota: 5000,
      policies: 3,
      policiesQuota: 1500,
    });
  });

  it('decodes inline policies', async () => {
    const { gateway: g } = gateway();
    iam
      .on(GetRolePolicyCommand, { RoleName: 'r', PolicyName: 'inline' })
      .resolves({
        RoleName: 'r',
        PolicyName: 'inline',
        PolicyDocument: encodeURIComponent(JSON.stringify(trust)),
      });
    expect(await g.getRolePolicy(target, 'r', 'inline')).toEqual(trust);
  });

  it('decodes URL-encoded policy documents once', async () => {
    const { gateway: g } = gateway();
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'r',
        Arn: 'arn',
        Path: '/',
        RoleId: 'id',
        CreateDate: new Date(0),
        AssumeRolePolicyDocument:
          '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D',
        RoleLastUsed: {
          LastUsedDate: new Date('2026-11-01T00:00:00Z'),
          Region: 'eu-west-1',
        },
      },
    });
    expect(await g.getRole(target, 'r')).toMatchObject({
      trustPolicy: { Version: '2012-10-17', Statement: [] },
      roleLastUsed: {
        lastUsedDate: '2026-11-01T00:00:00.000Z',
        region: 'eu-west-1',
      },
    });
  });

  it('turns SDK exceptions into typed GatewayErrors with the request id', async () => {
    const { gateway: g } = gateway();
    iam.on(GetRoleCommand).rejects(
      new NoSuchEntityException({
        message: 'The role with name r cannot be found.',
        $metadata: { requestId: 'req-1' },
      }),
    );
    const error = await g.getRole(target, 'r').catch(e => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      kind: 'not-found',
      code: 'NoSuchEntityException',
      requestId: 'req-1',
      operation: 'iam:GetRole',
      message: 'iam:GetRole: The role with name r cannot be found.',
    });

    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { requestId: 'req-2' },
    });
    iam.on(GetRoleCommand).rejects(throttled);
    await expect(g.getRole(target, 'r')).rejects.toMatchObject({
      kind: 'throttled',
      code: 'Throttling',
    });
  });

  it('prunes the oldest non-default version before creating a sixth', async () => {
    const { gateway: g } = gateway();
    const arn = 'arn:aws:iam::111122223333:policy/p';
    iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [
        {
          VersionId: 'v5',
          IsDefaultVersion: true,
          CreateDate: new Date('2026-01-05'),
        },
        {
          VersionId: 'v2',
          IsDefaultVersion: false,
          CreateDate: new Date('2026-01-02'),
        },
        {
          VersionId: 'v4',
          IsDefaultVersion: false,
          CreateDate: new Date('2026-01-04'),
        },
        {
          VersionId: 'v1',
          IsDefaultVersion: false,
          CreateDate: new Date('2026-01-01'),
        },
        {
          VersionId: 'v3',
          IsDefaultVersion: false,
          CreateDate: new Date('2026-01-03'),
        },
      ],
    });
    iam
      .on(CreatePolicyVersionCommand)
      .resolves({ PolicyVersion: { VersionId: 'v6' } });
    await expect(g.createPolicyVersion(target, arn, trust)).resolves.toBe('v6');
    expect(
      iam.commandCalls(DeletePolicyVersionCommand).map(c => c.args[0].input),
    ).toEqual([{ PolicyArn: arn, VersionId: 'v1' }]);
    expect(
      iam.commandCalls(CreatePolicyVersionCommand)[0].args[0].input,
    ).toEqual({
      PolicyArn: arn,
      PolicyDocument: JSON.stringify(trust),
      SetAsDefault: true,
    });
  });

  it('follows IAM markers across pages', async () => {
    const { gateway: g } = gateway();
    iam
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'r', Marker: undefined })
      .resolves({
        AttachedPolicies: [{ PolicyArn: 'a1', PolicyName: 'p1' }],
        IsTruncated: true,
        Marker: 'm1',
      });
    iam
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'r', Marker: 'm1' })
      .resolves({
        AttachedPolicies: [{ PolicyArn: 'a2', PolicyName: 'p2' }],
        IsTruncated: false,
      });
    expect(await g.listAttachedRolePolicies(target, 'r')).toEqual([
      { arn: 'a1', name: 'p1' },
      { arn: 'a2', name: 'p2' },
    ]);
  });
});
