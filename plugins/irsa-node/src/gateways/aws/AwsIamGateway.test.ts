import {
  CloudTrailClient,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  GetAccountSummaryCommand,
  GetRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { GatewayError } from '../errors';
import { AwsIamGateway } from './AwsIamGateway';
import { RequestBudget } from './RequestBudget';

const target = { accountId: '111122223333', region: 'eu-west-1' };
const trust = {
  Version: '2012-10-17' as const,
  Statement: [
    { Effect: 'Allow' as const, Action: 'sts:AssumeRoleWithWebIdentity' },
  ],
};

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const ec2 = mockClient(EC2Client);
const cloudtrail = mockClient(CloudTrailClient);
const eks = mockClient(EKSClient);

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
    gateway: new AwsIamGateway({
      credentialsManager,
      endpoints: { iam: 'https://iam.example.internal' },
    }),
    credentialsManager,
  };
}

beforeEach(() => {
  iam.reset();
  sts.reset();
  ec2.reset();
  cloudtrail.reset();
  eks.reset();
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

  it('maps the network and cluster facts the verifier needs', async () => {
    const { gateway: g } = gateway();
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
    expect(await g.describeCluster(target, 'prod')).toEqual({
      name: 'prod',
      arn: 'arn:eks',
      status: 'ACTIVE',
      endpoint: undefined,
      issuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
      vpcId: 'vpc-1',
      subnetIds: ['s1'],
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

  it('decodes inline policies and maps simulation results', async () => {
    const { gateway: g } = gateway();
    iam
      .on(GetRolePolicyCommand, { RoleName: 'r', PolicyName: 'inline' })
      .resolves({
        RoleName: 'r',
        PolicyName: 'inline',
        PolicyDocument: encodeURIComponent(JSON.stringify(trust)),
      });
    expect(await g.getRolePolicy(target, 'r', 'inline')).toEqual(trust);
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        {
          EvalActionName: 's3:GetObject',
          EvalResourceName: 'arn:aws:s3:::b/k',
          EvalDecision: 'explicitDeny',
          MatchedStatements: [{ SourcePolicyId: 'allowlist' }],
        },
      ],
    });
    expect(
      await g.simulatePrincipalPolicy(target, {
        policySourceArn: 'arn:aws:iam::111122223333:role/r',
        actionNames: ['s3:GetObject'],
        resourceArns: ['arn:aws:s3:::b/k'],
        contextEntries: [
          { key: 'aws:SourceIp', type: 'ip', values: ['198.51.100.1'] },
        ],
      }),
    ).toEqual([
      {
        actionName: 's3:GetObject',
        resourceArn: 'arn:aws:s3:::b/k',
        decision: 'explicitDeny',
        matchedStatementIds: ['allowlist'],
      },
    ]);
    expect(
      iam.commandCalls(SimulatePrincipalPolicyCommand)[0].args[0].input,
    ).toEqual({
      PolicySourceArn: 'arn:aws:iam::111122223333:role/r',
      ActionNames: ['s3:GetObject'],
      ResourceArns: ['arn:aws:s3:::b/k'],
      ContextEntries: [
        {
          ContextKeyName: 'aws:SourceIp',
          ContextKeyType: 'ip',
          ContextKeyValues: ['198.51.100.1'],
        },
      ],
    });
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

  it('follows IAM markers and EC2 tokens across pages', async () => {
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

  it('calls AssumeRoleWithWebIdentity unsigned and never returns the credentials', async () => {
    const { gateway: g, credentialsManager } = gateway();
    sts.on(AssumeRoleWithWebIdentityCommand).resolves({
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::111122223333:assumed-role/r/s',
        AssumedRoleId: 'AROA:s',
      },
      Credentials: {
        AccessKeyId: 'ASIA',
        SecretAccessKey: 'sk',
        SessionToken: 'st',
        Expiration: new Date('2026-11-24T01:00:00Z'),
      },
      SubjectFromWebIdentityToken: 'system:serviceaccount:n:s',
      Audience: 'sts.amazonaws.com',
    });
    const identity = await g.assumeRoleWithWebIdentity(target, {
      roleArn: 'arn:aws:iam::111122223333:role/r',
      webIdentityToken: 'token',
      sessionName: 's',
    });
    expect(
      sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0].args[0].input,
    ).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/r',
      WebIdentityToken: 'token',
      RoleSessionName: 's',
      DurationSeconds: 900,
    });
    expect(JSON.stringify(identity)).not.toMatch(/ASIA|sk|"st"/);
    expect(identity).toEqual({
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/r/s',
      assumedRoleId: 'AROA:s',
      subjectFromWebIdentityToken: 'system:serviceaccount:n:s',
      audience: 'sts.amazonaws.com',
      provider: undefined,
      expiration: '2026-11-24T01:00:00.000Z',
    });
    expect(credentialsManager.getCredentialProvider).not.toHaveBeenCalled();
  });

  it('pages CloudTrail up to maxEvents and reads error codes from the event', async () => {
    const { gateway: g } = gateway();
    const event = (id: string, errorCode?: string) => ({
      EventId: id,
      EventName: 'AssumeRoleWithWebIdentity',
      EventSource: 'sts.amazonaws.com',
      EventTime: new Date('2026-11-24T00:00:00Z'),
      CloudTrailEvent: JSON.stringify({
        errorCode,
        sourceIPAddress: '203.0.113.10',
      }),
    });
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [event('e1', 'AccessDenied'), event('e2')],
        NextToken: 'n',
      })
      .resolvesOnce({ Events: [event('e3')], NextToken: 'n2' });
    const events = await g.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: 'arn:role' },
      startTime: new Date('2026-11-23T23:00:00Z'),
      maxEvents: 3,
    });
    expect(events.map(e => [e.eventId, e.errorCode])).toEqual([
      ['e1', 'AccessDenied'],
      ['e2', undefined],
      ['e3', undefined],
    ]);
    expect(
      cloudtrail
        .commandCalls(LookupEventsCommand)
        .map(c => [c.args[0].input.MaxResults, c.args[0].input.NextToken]),
    ).toEqual([
      [3, undefined],
      [1, 'n'],
    ]);
  });
});

describe('RequestBudget', () => {
  it('lets 1,000 concurrent calls through a 10 rps budget without ever starting more than 10 in a second', async () => {
    // A virtual clock: sleeping advances nothing, it only tells us when the call would start.
    const starts: number[] = [];
    let pendingSleep = 0;
    const budget = new RequestBudget({
      now: () => 0,
      sleep: async ms => {
        pendingSleep = ms;
      },
    });
    await Promise.all(
      Array.from({ length: 1000 }, async () => {
        pendingSleep = 0;
        const acquired = budget.acquire('iam/111122223333/eu-west-1', 10);
        const start = pendingSleep;
        await acquired;
        starts.push(start);
      }),
    );
    starts.sort((a, b) => a - b);
    let worstWindow = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i] - starts[j] >= 1000) j++;
      worstWindow = Math.max(worstWindow, i - j + 1);
    }
    expect(starts).toHaveLength(1000);
    expect(worstWindow).toBe(10);
    expect(starts.at(-1)).toBeCloseTo(99_900, 6); // 1,000 calls at 10 rps: the last starts at 99.9 s
  });

  it('keeps separate budgets per account, region and API family', async () => {
    const waits: number[] = [];
    const budget = new RequestBudget({
      now: () => 0,
      sleep: async ms => void waits.push(ms),
    });
    await budget.acquire('iam/a/r', 2);
    await budget.acquire('iam/b/r', 2);
    await budget.acquire('cloudtrail/a/r', 2);
    await budget.acquire('iam/a/r', 2);
    expect(waits).toEqual([500]);
  });
});
