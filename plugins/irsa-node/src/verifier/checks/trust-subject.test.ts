import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  ISSUER,
  role,
  subjectCondition,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'Trusts exactly system:serviceaccount:payments:payments-api',
  ],
  [
    'warn',
    'wildcard',
    e => subjectCondition(e, 'StringLike', 'system:serviceaccount:payments:*'),
    'A wildcard subject (system:serviceaccount:payments:*) also trusts other ServiceAccounts',
  ],
  [
    'fail',
    'other namespace',
    e =>
      subjectCondition(
        e,
        'StringEquals',
        'system:serviceaccount:analytics:payments-api',
      ),
    `The trust policy's ${ISSUER}:sub is system:serviceaccount:analytics:payments-api, not system:serviceaccount:payments:payments-api`,
  ],
  [
    'skipped',
    'principal failed',
    e => {
      role(e).trustPolicy.Statement[0].Principal = { Federated: 'x' };
    },
    'Skipped: Trust principal did not pass',
  ],
];

describe('the trust-subject check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('trust-subject', change)).toEqual(
      expectedOutcome(status, message),
    );
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });
});
