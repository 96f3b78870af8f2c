import {
  evaluateManagedPolicy,
  findAdminEquivalentGrants,
} from '@backstage-irsa/plugin-irsa-common';
import { createSandbox, SANDBOX_ACCOUNT_ID, type Sandbox } from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const aws = (name: string) => `arn:aws:iam::aws:policy/${name}`;

describe('sandbox AWS managed policies', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox();
  });

  async function defaultDocument(name: string) {
    const policy = await sandbox.iam.getPolicy(target, aws(name));
    return sandbox.iam.getPolicyVersion(
      target,
      policy.arn,
      policy.defaultVersionId,
    );
  }

  // What the statement guardrail says of each default version, as it would of AWS's.
  it.each([
    [
      'AdministratorAccess',
      ['Statement[0] allows "*", every action in AWS, on Resource "*"'],
    ],
    [
      'PowerUserAccess',
      [
        'Statement[0] allows NotAction "iam:*", "organizations:*", "account:*" on Resource "*", which grants every other action in AWS',
      ],
    ],
    [
      'IAMFullAccess',
      ['Statement[0] allows "iam:*", every iam action, on Resource "*"'],
    ],
    ['ReadOnlyAccess', []],
    ['AmazonS3ReadOnlyAccess', []],
    ['AmazonS3FullAccess', []],
    ['AmazonDynamoDBReadOnlyAccess', []],
    ['AmazonSQSFullAccess', []],
    ['CloudWatchAgentServerPolicy', []],
    ['SecretsManagerReadWrite', []],
  ])('%s: the guardrail finds %j', async (name, reasons) => {
    const policy = await sandbox.iam.getPolicy(target, aws(name));
    expect(policy).toMatchObject({
      arn: aws(name),
      name,
      awsManaged: true,
    });
    expect(findAdminEquivalentGrants(await defaultDocument(name))).toEqual(
      reasons,
    );
  });

  it('refuses the admin ones by name and accepts the others, documents read from the sandbox', async () => {
    const verdicts: Record<string, string[]> = {};
    for (const name of [
      'AdministratorAccess',
      'PowerUserAccess',
      'IAMFullAccess',
      'ReadOnlyAccess',
      'AmazonSQSFullAccess',
    ]) {
      verdicts[name] = evaluateManagedPolicy({
        arn: aws(name),
        accountId: SANDBOX_ACCOUNT_ID,
        document: await defaultDocument(name),
        options: {},
      });
    }
    const byName = (name: string) => [
      `${aws(name)}: the AWS managed policy ${name} grants administrator access or control over IAM, so it is refused by name; list it in irsa.provisioning.managedPolicies.allow if the platform accepts it`,
    ];
    expect(verdicts).toEqual({
      AdministratorAccess: byName('AdministratorAccess'),
      PowerUserAccess: byName('PowerUserAccess'),
      IAMFullAccess: byName('IAMFullAccess'),
      ReadOnlyAccess: [],
      AmazonSQSFullAccess: [],
    });
  });

  it('answers NoSuchEntity for an AWS managed policy it does not know', async () => {
    await expect(
      sandbox.iam.getPolicy(target, aws('AmazonNotARealPolicy')),
    ).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchEntity' });
  });
});

describe('sandbox IAM Access Analyzer ValidatePolicy', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ seed: false });
  });

  it('warns about iam:PassRole on a wildcard resource and errs on a private aws:SourceIp', async () => {
    const findings = await sandbox.policyValidation.validatePolicy(target, {
      policyType: 'IDENTITY_POLICY',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: ['arn:aws:s3:::b/*'],
          },
          {
            Effect: 'Allow',
            Action: ['ec2:RunInstances', 'iam:Pass*'],
            Resource: [
              'arn:aws:iam::111122223333:role/app',
              'arn:aws:iam::111122223333:role/*',
            ],
          },
          {
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: {
              NotIpAddressIfExists: {
                'aws:SourceIp': ['203.0.113.10/32', '10.20.0.0/16'],
              },
            },
          },
        ],
      },
    });
    expect(findings).toEqual([
      {
        findingType: 'SECURITY_WARNING',
        issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
        details:
          'iam:PassRole with a wildcard resource lets the principal pass many roles; name the role ARNs or add an iam:PassedToService condition.',
        locations: ['Statement[1].Resource[1]'],
      },
      {
        findingType: 'ERROR',
        issueCode: 'PRIVATE_IP_ADDRESS',
        details:
          'aws:SourceIp only holds public addresses: 10.20.0.0/16 never match.',
        locations: [
          'Statement[2].Condition.NotIpAddressIfExists.aws:SourceIp[1]',
        ],
      },
    ]);
  });

  it('finds nothing in a scoped policy and names single-value elements without an index', async () => {
    await expect(
      sandbox.policyValidation.validatePolicy(target, {
        policyType: 'IDENTITY_POLICY',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: 'arn:aws:iam::111122223333:role/app',
              Condition: { IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } },
            },
          ],
        },
      }),
    ).resolves.toEqual([]);
    const findings = await sandbox.policyValidation.validatePolicy(target, {
      policyType: 'IDENTITY_POLICY',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': '192.168.1.0/24' } },
          },
        ],
      },
    });
    expect(findings.map(f => [f.issueCode, f.locations])).toEqual([
      ['PASS_ROLE_WITH_STAR_IN_RESOURCE', ['Statement[0].Resource']],
      ['PRIVATE_IP_ADDRESS', ['Statement[0].Condition.IpAddress.aws:SourceIp']],
    ]);
  });

  it('is a read: the call log marks it so', async () => {
    sandbox.controls.resetCalls();
    await sandbox.policyValidation.validatePolicy(target, {
      policyType: 'IDENTITY_POLICY',
      document: { Version: '2012-10-17', Statement: [] },
    });
    expect(sandbox.controls.calls.map(c => [c.operation, c.write])).toEqual([
      ['validatePolicy', false],
    ]);
  });
});
