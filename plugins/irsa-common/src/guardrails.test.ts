import {
  type GuardrailOptions,
  PRIVILEGE_ESCALATION_ACTIONS,
  findAdminEquivalentGrants,
} from './guardrails';
import type { PolicyDocument, PolicyStatement } from './report';

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});
const allow = (
  Action: string | string[],
  Resource: string | string[],
  extra: Partial<PolicyStatement> = {},
): PolicyStatement => ({ Effect: 'Allow', Action, Resource, ...extra });

const ESCALATES = 'which can escalate privileges';

describe('findAdminEquivalentGrants', () => {
  // Each row: what the statement is, the statement, the exact reasons ([] = accepted).
  const rows: Array<[string, PolicyStatement, string[]]> = [
    [
      'every action',
      allow('*', '*'),
      ['Statement[0] allows "*", every action in AWS, on Resource "*"'],
    ],
    [
      'every action of every service on one bucket',
      allow('*:*', 'arn:aws:s3:::b'),
      [
        'Statement[0] allows "*:*", every action in AWS, on Resource "arn:aws:s3:::b"',
      ],
    ],
    [
      'iam:* on arn:aws:iam::*:* (wildcard resource ARN)',
      allow('iam:*', 'arn:aws:iam::*:*'),
      [
        'Statement[0] allows "iam:*", every iam action, on Resource "arn:aws:iam::*:*"',
      ],
    ],
    [
      'iam:* on one exact role: whole-service admin is refused on any resource',
      allow('iam:*', 'arn:aws:iam::111122223333:role/x'),
      [
        'Statement[0] allows "iam:*", every iam action, on Resource "arn:aws:iam::111122223333:role/x"',
      ],
    ],
    [
      'a service pattern covering iam',
      allow('i*:*', 'arn:aws:s3:::b'),
      [
        'Statement[0] allows "i*:*", every iam action, on Resource "arn:aws:s3:::b"',
      ],
    ],
    [
      'sts:*',
      allow('sts:*', 'arn:aws:s3:::b'),
      [
        'Statement[0] allows "sts:*", every sts action, on Resource "arn:aws:s3:::b"',
      ],
    ],
    [
      'organizations:*',
      allow('organizations:*', '*'),
      [
        'Statement[0] allows "organizations:*", every organizations action, on Resource "*"',
      ],
    ],
    [
      'a name pattern that only looks like the every-action one stays an s3-level grant',
      allow('*:Any*', 'arn:aws:s3:::b'),
      [],
    ],
    [
      'iam:Pass* on every role of an account',
      allow('iam:Pass*', 'arn:aws:iam::123456789012:role/*'),
      [
        `Statement[0] allows iam:PassRole ("iam:Pass*") on Resource "arn:aws:iam::123456789012:role/*" (a wildcard resource), ${ESCALATES}`,
      ],
    ],
    [
      'iam:PassRole on a role pattern across partitions and accounts',
      allow('iam:PassRole', 'arn:*:iam::*:role/*'),
      [
        `Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "arn:*:iam::*:role/*" (a wildcard resource), ${ESCALATES}`,
      ],
    ],
    [
      'a ? pattern resource counts as broad',
      allow('iam:CreateAccessKey', 'arn:aws:iam::123456789012:user/?'),
      [
        `Statement[0] allows iam:CreateAccessKey ("iam:CreateAccessKey") on Resource "arn:aws:iam::123456789012:user/?" (a wildcard resource), ${ESCALATES}`,
      ],
    ],
    [
      'sts:AssumeRole on *',
      allow('sts:AssumeRole', '*'),
      [
        `Statement[0] allows sts:AssumeRole ("sts:AssumeRole") on Resource "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'iam:PassRole on *, action name in another case',
      allow('IAM:passrole', '*'),
      [
        `Statement[0] allows iam:PassRole ("IAM:passrole") on Resource "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'iam:Put*Policy expands to every Put policy action',
      allow('iam:Put*Policy', '*'),
      [
        `Statement[0] allows iam:PutRolePolicy, iam:PutUserPolicy, iam:PutGroupPolicy ("iam:Put*Policy") on Resource "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'iam:*PermissionsBoundary lifts boundaries',
      allow('iam:*RolePermissionsBoundary', 'arn:aws:iam::123456789012:role/*'),
      [
        `Statement[0] allows iam:PutRolePermissionsBoundary, iam:DeleteRolePermissionsBoundary ("iam:*RolePermissionsBoundary") on Resource "arn:aws:iam::123456789012:role/*" (a wildcard resource), ${ESCALATES}`,
      ],
    ],
    [
      'only the broad resources are named',
      allow('iam:AddUserToGroup', [
        'arn:aws:iam::123456789012:group/ops',
        'arn:aws:iam::123456789012:group/*',
        '*',
      ]),
      [
        `Statement[0] allows iam:AddUserToGroup ("iam:AddUserToGroup") on Resource "arn:aws:iam::123456789012:group/*", "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'NotAction',
      { Effect: 'Allow', NotAction: 's3:*', Resource: '*' },
      [
        'Statement[0] allows NotAction "s3:*" on Resource "*", which grants every other action in AWS',
      ],
    ],
    [
      'NotResource, even with a harmless action',
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        NotResource: 'arn:aws:s3:::secret/*',
      },
      [
        'Statement[0] allows "s3:GetObject" on NotResource "arn:aws:s3:::secret/*", which covers every resource but those listed',
      ],
    ],
    [
      'NotAction with NotResource: both reasons',
      { Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::b' },
      [
        'Statement[0] allows NotAction "iam:*" on NotResource "arn:aws:s3:::b", which grants every other action in AWS',
        'Statement[0] allows those actions on NotResource "arn:aws:s3:::b", which covers every resource but those listed',
      ],
    ],
    [
      'a Condition does not launder a broad grant',
      allow('iam:PassRole', '*', {
        Condition: {
          StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          IpAddress: { 'aws:SourceIp': '203.0.113.0/24' },
        },
      }),
      [
        `Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'a Condition does not launder whole-service admin',
      allow('iam:*', '*', {
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
      ['Statement[0] allows "iam:*", every iam action, on Resource "*"'],
    ],
    [
      'a harmless s3:GetObject on a bucket ARN',
      allow('s3:GetObject', 'arn:aws:s3:::b/*'),
      [],
    ],
    [
      'iam:PassRole on one exact role ARN',
      allow('iam:PassRole', 'arn:aws:iam::111122223333:role/app'),
      [],
    ],
    ['read-only IAM on *', allow(['iam:Get*', 'iam:List*'], '*'), []],
    [
      'a Deny is never a grant',
      { Effect: 'Deny', Action: '*', Resource: '*' },
      [],
    ],
  ];

  it.each(rows)('%s', (_name, statement, reasons) => {
    expect(findAdminEquivalentGrants(doc(statement))).toEqual(reasons);
  });

  it('names every statement by its index and reports every finding', () => {
    expect(
      findAdminEquivalentGrants(
        doc(
          allow('s3:GetObject', '*'),
          allow(['ec2:*', 'iam:*', 'iam:CreateRole'], '*'),
        ),
      ),
    ).toEqual([
      'Statement[1] allows "iam:*", every iam action, on Resource "*"',
      `Statement[1] allows iam:CreateRole ("iam:CreateRole") on Resource "*" (every resource), ${ESCALATES}`,
    ]);
  });

  it('reads a lone statement object and a string Action, as AWS returns them', () => {
    const awsShape = {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
    } as unknown as PolicyDocument;
    expect(findAdminEquivalentGrants(awsShape)).toEqual([
      `Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "*" (every resource), ${ESCALATES}`,
    ]);
  });

  it('finds nothing in a document without statements', () => {
    const empty = { Version: '2012-10-17' } as unknown as PolicyDocument;
    expect(findAdminEquivalentGrants(empty)).toEqual([]);
  });

  it('refuses every listed escalation action on *', () => {
    for (const action of PRIVILEGE_ESCALATION_ACTIONS) {
      expect(findAdminEquivalentGrants(doc(allow(action, '*')))).toEqual([
        `Statement[0] allows ${action} ("${action}") on Resource "*" (every resource), ${ESCALATES}`,
      ]);
    }
  });

  it('shortens long resource lists', () => {
    expect(
      findAdminEquivalentGrants(
        doc({
          Effect: 'Allow',
          Action: 's3:GetObject',
          NotResource: [
            'arn:aws:s3:::a',
            'arn:aws:s3:::b',
            'arn:aws:s3:::c',
            'arn:aws:s3:::d',
            'arn:aws:s3:::e',
          ],
        }),
      ),
    ).toEqual([
      'Statement[0] allows "s3:GetObject" on NotResource "arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::c", and 2 more, which covers every resource but those listed',
    ]);
  });
});

describe('findAdminEquivalentGrants with platform options', () => {
  // Each row: what the platform set, the options, the statement, the exact reasons.
  const rows: Array<[string, GuardrailOptions, PolicyStatement, string[]]> = [
    [
      'an allowed escalation action is accepted on *',
      { allowedActions: ['iam:PassRole'] },
      allow('iam:PassRole', '*'),
      [],
    ],
    [
      'an allowed action covers the pattern that expands to it alone',
      { allowedActions: ['iam:PassRole'] },
      allow('iam:Pass*', 'arn:aws:iam::123456789012:role/*'),
      [],
    ],
    [
      'allowed actions are patterns too, case-insensitive',
      { allowedActions: ['IAM:Put*Policy'] },
      allow('iam:Put*', '*'),
      [
        `Statement[0] allows iam:PutRolePermissionsBoundary, iam:PutUserPermissionsBoundary ("iam:Put*") on Resource "*" (every resource), ${ESCALATES}`,
      ],
    ],
    [
      'an allowed action never accepts whole-service admin',
      { allowedActions: ['iam:PassRole'] },
      allow('iam:*', '*'),
      ['Statement[0] allows "iam:*", every iam action, on Resource "*"'],
    ],
    [
      'allowing every iam action still refuses iam:*',
      { allowedActions: ['iam:*'] },
      allow('iam:*', 'arn:aws:iam::123456789012:role/x'),
      [
        'Statement[0] allows "iam:*", every iam action, on Resource "arn:aws:iam::123456789012:role/x"',
      ],
    ],
    [
      'an allowed action does not accept NotAction',
      { allowedActions: ['iam:PassRole'] },
      { Effect: 'Allow', NotAction: 's3:*', Resource: 'arn:aws:s3:::b' },
      [
        'Statement[0] allows NotAction "s3:*" on Resource "arn:aws:s3:::b", which grants every other action in AWS',
      ],
    ],
    [
      'a denied action is refused on one exact resource',
      { deniedActions: ['s3:DeleteBucket'] },
      allow('s3:Delete*', 'arn:aws:s3:::b'),
      [
        'Statement[0] allows s3:DeleteBucket, which this platform denies ("s3:Delete*") on Resource "arn:aws:s3:::b"',
      ],
    ],
    [
      'a denied pattern refuses an overlapping action pattern',
      { deniedActions: ['s3:*Bucket'] },
      allow('s3:Delete*', 'arn:aws:s3:::b'),
      [
        'Statement[0] allows s3:*Bucket, which this platform denies ("s3:Delete*") on Resource "arn:aws:s3:::b"',
      ],
    ],
    [
      'denied and granted patterns that share no action',
      { deniedActions: ['s3:*Bucket'] },
      allow('s3:Get*Object', 'arn:aws:s3:::b/*'),
      [],
    ],
    [
      'a denied action the statement does not grant changes nothing',
      { deniedActions: ['s3:DeleteBucket'] },
      allow('s3:Get*', 'arn:aws:s3:::b'),
      [],
    ],
    [
      'deny wins over allow',
      { allowedActions: ['iam:PassRole'], deniedActions: ['iam:PassRole'] },
      allow('iam:PassRole', 'arn:aws:iam::123456789012:role/app'),
      [
        'Statement[0] allows iam:PassRole, which this platform denies ("iam:PassRole") on Resource "arn:aws:iam::123456789012:role/app"',
      ],
    ],
  ];

  it.each(rows)('%s', (_name, options, statement, reasons) => {
    expect(findAdminEquivalentGrants(doc(statement), options)).toEqual(reasons);
  });
});
