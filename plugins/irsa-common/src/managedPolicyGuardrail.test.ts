import { InputError } from '@backstage/errors';
import {
  evaluateManagedPolicy,
  type ManagedPolicyRules,
  REFUSED_AWS_MANAGED_POLICIES,
  validateManagedPolicyPatterns,
} from './managedPolicyGuardrail';
import type { PolicyDocument } from './report';

const CLUSTER_ACCOUNT = '111122223333';
const doc = (Action: string, Resource: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action, Resource }],
});
const scoped = doc('s3:GetObject', 'arn:aws:s3:::reports/*');
const passAnyRole = doc('iam:PassRole', '*');
const HINT =
  '; list it in irsa.provisioning.managedPolicies.allow if the platform accepts it';
const refusedByName = (arn: string, name: string) =>
  `${arn}: the AWS managed policy ${name} grants administrator access or control over IAM, so it is refused by name${HINT}`;

describe('evaluateManagedPolicy', () => {
  // Each row: what it is, ARN, document, rules, the exact reasons ([] = accepted).
  const rows: Array<
    [string, string, PolicyDocument | undefined, ManagedPolicyRules, string[]]
  > = [
    [
      'AdministratorAccess is refused by name, whatever its document',
      'arn:aws:iam::aws:policy/AdministratorAccess',
      scoped,
      {},
      [
        refusedByName(
          'arn:aws:iam::aws:policy/AdministratorAccess',
          'AdministratorAccess',
        ),
      ],
    ],
    [
      'in the China partition',
      'arn:aws-cn:iam::aws:policy/PowerUserAccess',
      undefined,
      {},
      [
        refusedByName(
          'arn:aws-cn:iam::aws:policy/PowerUserAccess',
          'PowerUserAccess',
        ),
      ],
    ],
    [
      'in GovCloud',
      'arn:aws-us-gov:iam::aws:policy/IAMFullAccess',
      undefined,
      {},
      [
        refusedByName(
          'arn:aws-us-gov:iam::aws:policy/IAMFullAccess',
          'IAMFullAccess',
        ),
      ],
    ],
    [
      'under a path',
      'arn:aws:iam::aws:policy/job-function/AdministratorAccess',
      undefined,
      {},
      [
        refusedByName(
          'arn:aws:iam::aws:policy/job-function/AdministratorAccess',
          'AdministratorAccess',
        ),
      ],
    ],
    [
      'a customer policy that only shares the name is judged by its document',
      `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/AdministratorAccess`,
      scoped,
      {},
      [],
    ],
    [
      'a harmless AWS managed policy',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      doc('s3:Get*', '*'),
      {},
      [],
    ],
    [
      "the cluster account's own policy with a broad grant",
      `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/deployer`,
      passAnyRole,
      {},
      [
        `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/deployer: Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "*" (every resource), which can escalate privileges`,
      ],
    ],
    [
      'the guardrail options reach the document check',
      `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/deployer`,
      passAnyRole,
      { guardrails: { allowedActions: ['iam:PassRole'] } },
      [],
    ],
    [
      'an AWS managed policy whose document fails the statement guardrail',
      'arn:aws:iam::aws:policy/AWSSomeFutureAccess',
      doc('iam:*', '*'),
      {},
      [
        'arn:aws:iam::aws:policy/AWSSomeFutureAccess: Statement[0] allows "iam:*", every iam action, on Resource "*"',
      ],
    ],
    [
      "another account's policy",
      'arn:aws:iam::444455556666:policy/shared',
      scoped,
      {},
      [
        `arn:aws:iam::444455556666:policy/shared: belongs to account 444455556666, neither AWS nor the cluster's account ${CLUSTER_ACCOUNT}${HINT}`,
      ],
    ],
    [
      "another account's policy the platform allows",
      'arn:aws:iam::444455556666:policy/shared',
      passAnyRole,
      { allow: ['arn:aws:iam::444455556666:policy/*'] },
      [],
    ],
    [
      'an explicit allow accepts a policy refused by name',
      'arn:aws:iam::aws:policy/PowerUserAccess',
      undefined,
      { allow: ['arn:*:iam::aws:policy/PowerUser?ccess'] },
      [],
    ],
    [
      'an explicit allow accepts a document the statement guardrail refuses',
      `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/deployer`,
      passAnyRole,
      { allow: [`arn:aws:iam::${CLUSTER_ACCOUNT}:policy/deployer`] },
      [],
    ],
    [
      'deny wins over allow',
      'arn:aws:iam::aws:policy/AmazonS3FullAccess',
      doc('s3:*', '*'),
      {
        allow: ['arn:aws:iam::aws:policy/*'],
        deny: [
          'arn:aws:iam::aws:policy/AmazonDynamoDB*',
          'arn:*:iam::aws:policy/*FullAccess',
        ],
      },
      [
        'arn:aws:iam::aws:policy/AmazonS3FullAccess: refused by irsa.provisioning.managedPolicies.deny[1] ("arn:*:iam::aws:policy/*FullAccess")',
      ],
    ],
    [
      'patterns match without regard to case',
      'arn:aws:iam::aws:policy/AmazonSQSFullAccess',
      doc('sqs:*', '*'),
      { deny: ['arn:aws:iam::aws:policy/amazonsqs*'] },
      [
        'arn:aws:iam::aws:policy/AmazonSQSFullAccess: refused by irsa.provisioning.managedPolicies.deny[0] ("arn:aws:iam::aws:policy/amazonsqs*")',
      ],
    ],
    [
      'without a document only the name and account rules apply',
      `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/unknown`,
      undefined,
      {},
      [],
    ],
  ];

  it.each(rows)('%s', (_name, arn, document, options, reasons) => {
    expect(
      evaluateManagedPolicy({
        arn,
        accountId: CLUSTER_ACCOUNT,
        document,
        options,
      }),
    ).toEqual(reasons);
  });

  it('refuses every listed AWS managed policy by name', () => {
    for (const name of REFUSED_AWS_MANAGED_POLICIES) {
      const arn = `arn:aws:iam::aws:policy/${name}`;
      expect(
        evaluateManagedPolicy({
          arn,
          accountId: CLUSTER_ACCOUNT,
          document: scoped,
          options: {},
        }),
      ).toEqual([refusedByName(arn, name)]);
    }
  });

  it('throws InputError naming the field for something that is not a policy ARN', () => {
    const evaluate = () =>
      evaluateManagedPolicy({
        arn: 'arn:aws:iam::aws:role/AdministratorAccess',
        accountId: CLUSTER_ACCOUNT,
        options: {},
        field: 'managedPolicyArns[2]',
      });
    expect(evaluate).toThrow(InputError);
    expect(evaluate).toThrow(
      /^managedPolicyArns\[2\]: must be a managed policy ARN such as/,
    );
  });
});

describe('validateManagedPolicyPatterns', () => {
  const key = 'irsa.provisioning.managedPolicies.allow';

  it('returns valid patterns, and an empty list when unset', () => {
    const patterns = [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:*:iam::aws:policy/job-function/*',
      'arn:aws-cn:iam::123456789012:policy/team-?',
      'arn:aws:iam::*:policy/*',
      'arn:aws-us-gov:iam::1234*:policy/shared/*',
    ];
    expect(validateManagedPolicyPatterns(patterns, key)).toEqual(patterns);
    expect(validateManagedPolicyPatterns(undefined, key)).toEqual([]);
  });

  it.each([
    [
      [
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'arn:aws:iam::aws:policy/A',
        '*',
      ],
      `${key}[2]: "*" is not an IAM policy ARN pattern`,
    ],
    [
      ['arn:aws:iam::aws:role/x'],
      `${key}[0]: "arn:aws:iam::aws:role/x" is not an IAM policy ARN pattern`,
    ],
    [
      ['arn:aws:iam::12345:policy/x'],
      `${key}[0]: "arn:aws:iam::12345:policy/x" is not an IAM policy ARN pattern`,
    ],
    [
      ['arn:azure:iam::aws:policy/x'],
      `${key}[0]: "arn:azure:iam::aws:policy/x" is not an IAM policy ARN pattern`,
    ],
    [
      ['arn:aws:s3:::aws:policy/x'],
      `${key}[0]: "arn:aws:s3:::aws:policy/x" is not an IAM policy ARN pattern`,
    ],
    [
      ['arn:aws:iam::aws:policy/'],
      `${key}[0]: "arn:aws:iam::aws:policy/" is not`,
    ],
    [[42], `${key}[0]: number is not an IAM policy ARN pattern`],
    [
      'arn:aws:iam::aws:policy/x',
      `${key}: must be a list of policy ARN patterns`,
    ],
  ])('refuses %j', (patterns, message) => {
    expect(() => validateManagedPolicyPatterns(patterns, key)).toThrow(
      InputError,
    );
    expect(() => validateManagedPolicyPatterns(patterns, key)).toThrow(message);
  });
});
