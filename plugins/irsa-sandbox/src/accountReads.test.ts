import {
  createSandbox,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
} from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const NOW = new Date('2026-11-27T10:00:00.000Z');

describe('sandbox IAM: GetAccountAuthorizationDetails', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox({ now: () => NOW });
  });

  it('returns every seeded role with its trust, tags, attached and inline policies', async () => {
    sandbox.controls.putRolePolicy(
      target,
      'irsa-sandbox-ledger-ledger-api',
      'console-edit',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
      },
    );
    const details = await sandbox.iam.getAccountAuthorizationDetails(target);
    const seeded = [...SANDBOX_SCENARIOS, ...SANDBOX_WIRING_SCENARIOS].filter(
      s => s.id !== 'role-deleted',
    );
    expect(details.roles.map(r => r.arn).sort()).toEqual(
      seeded.map(s => s.roleArn).sort(),
    );
    const ledger = details.roles.find(
      r => r.name === 'irsa-sandbox-ledger-ledger-api',
    )!;
    const role = await sandbox.iam.getRole(target, ledger.name);
    const {
      maxSessionDuration: _duration,
      description: _description,
      ...asInGetRole
    } = role;
    expect(ledger).toEqual({
      ...asInGetRole,
      attachedPolicies: [
        {
          arn: 'arn:aws:iam::111122223333:policy/irsa-sandbox-ledger-ledger-api',
          name: 'irsa-sandbox-ledger-ledger-api',
        },
        {
          arn: 'arn:aws:iam::111122223333:policy/irsa-sandbox-ledger-ledger-api-allowlist',
          name: 'irsa-sandbox-ledger-ledger-api-allowlist',
        },
      ],
      inlinePolicies: [
        {
          name: 'console-edit',
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
          },
        },
      ],
    });
    expect(ledger.tags).toMatchObject({
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/entity-ref': 'component:default/ledger-api',
    });
  });

  it('returns customer-managed policies with their default document, and only the AWS-managed ones in use', async () => {
    const permissions =
      'arn:aws:iam::111122223333:policy/irsa-sandbox-ledger-ledger-api';
    const next = {
      Version: '2012-10-17' as const,
      Statement: [
        {
          Effect: 'Allow' as const,
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::demo-ledger/*',
        },
      ],
    };
    await sandbox.iam.createPolicyVersion(target, permissions, next);
    await sandbox.iam.attachRolePolicy(
      target,
      'irsa-sandbox-ledger-ledger-api',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    );
    const { policies } =
      await sandbox.iam.getAccountAuthorizationDetails(target);
    expect(policies.find(p => p.arn === permissions)).toEqual({
      arn: permissions,
      name: 'irsa-sandbox-ledger-ledger-api',
      path: '/',
      defaultVersionId: 'v2',
      awsManaged: false,
      attachmentCount: 1,
      // IAM's ManagedPolicyDetail carries no tags.
      tags: {},
      defaultDocument: next,
    });
    expect(policies.filter(p => p.awsManaged).map(p => p.name)).toEqual([
      'AmazonS3ReadOnlyAccess',
    ]);
    // Two policies per seeded role (the deleted one's are gone with it).
    expect(policies.filter(p => !p.awsManaged)).toHaveLength(2 * 11);
  });
});

describe('sandbox CloudTrail: LookupEvents', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox({ now: () => NOW });
    const record = (
      eventName: string,
      eventTime: string,
      resourceNames: string[],
      region = 'us-east-1',
    ) =>
      sandbox.controls.recordCloudTrailEvent({
        region,
        eventName,
        eventSource: 'sts.amazonaws.com',
        errorCode: 'AccessDenied',
        resourceNames,
        eventTime,
      });
    record('AssumeRole', '2026-11-27T09:10:00.000Z', ['role-a']);
    record('AssumeRoleWithWebIdentity', '2026-11-27T09:40:00.000Z', ['role-b']);
    record('AssumeRole', '2026-11-27T09:20:00.000Z', ['role-a', 'role-b']);
    record('AssumeRole', '2026-11-27T08:00:00.000Z', ['role-a']);
    record('AssumeRole', '2026-11-27T09:30:00.000Z', ['role-a'], 'us-west-2');
  });

  it('without an attribute returns every event of the region in the window, newest first, with its resources', async () => {
    const events = await sandbox.cloudTrail.lookupEvents(target, {
      startTime: new Date('2026-11-27T09:00:00.000Z'),
      maxEvents: 50,
    });
    expect(events.map(e => [e.eventTime, e.eventName, e.resources])).toEqual([
      ['2026-11-27T09:40:00.000Z', 'AssumeRoleWithWebIdentity', ['role-b']],
      ['2026-11-27T09:20:00.000Z', 'AssumeRole', ['role-a', 'role-b']],
      ['2026-11-27T09:10:00.000Z', 'AssumeRole', ['role-a']],
    ]);
    const capped = await sandbox.cloudTrail.lookupEvents(target, {
      startTime: new Date('2026-11-27T09:00:00.000Z'),
      maxEvents: 1,
    });
    expect(capped.map(e => e.eventTime)).toEqual(['2026-11-27T09:40:00.000Z']);
  });

  it('with a ResourceName or EventName attribute returns only the matching events', async () => {
    const byResource = await sandbox.cloudTrail.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: 'role-b' },
      startTime: new Date('2026-11-27T09:00:00.000Z'),
      maxEvents: 50,
    });
    expect(byResource.map(e => e.eventTime)).toEqual([
      '2026-11-27T09:40:00.000Z',
      '2026-11-27T09:20:00.000Z',
    ]);
    const byName = await sandbox.cloudTrail.lookupEvents(target, {
      attribute: { key: 'EventName', value: 'AssumeRole' },
      startTime: new Date('2026-11-27T07:00:00.000Z'),
      endTime: new Date('2026-11-27T09:15:00.000Z'),
      maxEvents: 50,
    });
    expect(byName.map(e => e.eventTime)).toEqual([
      '2026-11-27T09:10:00.000Z',
      '2026-11-27T08:00:00.000Z',
    ]);
  });
});
