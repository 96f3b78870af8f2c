import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  ROLE,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  ['pass', 'healthy', () => {}, '1 permissions policy attached'],
  [
    'warn',
    'admin-equivalent',
    e => {
      valueOf(e.policies)[0].document!.Statement = [
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      ];
    },
    `Grants the guardrails flag: ${ROLE}: Statement[0] allows iam:PassRole ("iam:PassRole") on Resource "*" (every resource), which can escalate privileges`,
  ],
  [
    'fail',
    'none',
    e => {
      e.policies = known([]);
    },
    'The role has no permissions policy: every AWS call will be AccessDenied',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.policies = unreadable('role policies');
    },
    'Could not check: role policies failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'role deleted',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],
];

describe('the permissions check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('permissions', change)).toEqual(
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
