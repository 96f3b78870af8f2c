import { findAdminEquivalentGrants } from './guardrails';
import type { PolicyStatement } from './report';

const doc = (...Statement: PolicyStatement[]) => ({
  Version: '2012-10-17' as const,
  Statement,
});

describe('findAdminEquivalentGrants', () => {
  it('finds nothing in a scoped policy', () => {
    expect(
      findAdminEquivalentGrants(
        doc(
          {
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: ['arn:aws:s3:::b/*'],
          },
          {
            Effect: 'Allow',
            Action: ['iam:PassRole'],
            Resource: ['arn:aws:iam::111122223333:role/app'],
          },
          { Effect: 'Deny', Action: ['*'], Resource: ['*'] },
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      'Statement[0] allows "*", every action in AWS',
    ],
    [
      { Effect: 'Allow', Action: '*:*', Resource: 'arn:aws:s3:::b' },
      'Statement[0] allows "*:*", every action in AWS',
    ],
    [
      {
        Effect: 'Allow',
        Action: 'iam:*',
        Resource: 'arn:aws:iam::111122223333:role/x',
      },
      'Statement[0] allows "iam:*", every iam action',
    ],
    [
      { Effect: 'Allow', Action: 'i*:*', Resource: 'arn:aws:s3:::b' },
      'Statement[0] allows "i*:*", every iam action',
    ],
    [
      { Effect: 'Allow', Action: 'sts:*', Resource: 'arn:aws:s3:::b' },
      'Statement[0] allows "sts:*", every sts action',
    ],
    [
      { Effect: 'Allow', NotAction: 's3:*', Resource: '*' },
      'Statement[0] allows NotAction, which grants every other action in AWS',
    ],
    [
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      'Statement[0] allows iam:PassRole on every resource ("iam:PassRole" with Resource "*"), which can escalate privileges',
    ],
    [
      { Effect: 'Allow', Action: 'IAM:passrole', Resource: '*' },
      'Statement[0] allows iam:PassRole on every resource ("IAM:passrole" with Resource "*"), which can escalate privileges',
    ],
    [
      {
        Effect: 'Allow',
        Action: 'iam:Pass*',
        NotResource: 'arn:aws:iam::111122223333:role/x',
      },
      'Statement[0] allows iam:PassRole on every resource ("iam:Pass*" with Resource "*"), which can escalate privileges',
    ],
    [
      { Effect: 'Allow', Action: 'iam:Put*Policy', Resource: '*' },
      'Statement[0] allows iam:PutRolePolicy, iam:PutUserPolicy on every resource ("iam:Put*Policy" with Resource "*"), which can escalate privileges',
    ],
  ] as Array<[PolicyStatement, string]>)('flags %j', (statement, reason) => {
    expect(findAdminEquivalentGrants(doc(statement))).toEqual([reason]);
  });

  it('reports every finding with its statement index', () => {
    expect(
      findAdminEquivalentGrants(
        doc(
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] },
          { Effect: 'Allow', Action: ['ec2:*', 'iam:*'], Resource: ['*'] },
        ),
      ),
    ).toEqual(['Statement[1] allows "iam:*", every iam action']);
  });
});

describe('findAdminEquivalentGrants with platform options', () => {
  it('accepts an escalation action the platform allows, but never wildcard admin', () => {
    const options = { allowedActions: ['iam:PassRole'] };
    expect(
      findAdminEquivalentGrants(
        doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }),
        options,
      ),
    ).toEqual([]);
    expect(
      findAdminEquivalentGrants(
        doc({ Effect: 'Allow', Action: 'iam:Pass*', Resource: '*' }),
        options,
      ),
    ).toEqual([]);
    expect(
      findAdminEquivalentGrants(
        doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }),
        options,
      ),
    ).toEqual(['Statement[0] allows "iam:*", every iam action']);
  });

  it('refuses actions the platform denies, on any resource', () => {
    expect(
      findAdminEquivalentGrants(
        doc({
          Effect: 'Allow',
          Action: 's3:Delete*',
          Resource: 'arn:aws:s3:::b',
        }),
        {
          deniedActions: ['s3:DeleteBucket'],
        },
      ),
    ).toEqual([
      'Statement[0] allows s3:DeleteBucket, which this platform denies ("s3:Delete*")',
    ]);
  });
});
