import { EKS_ROLE_ARN_ANNOTATION } from '@backstage-irsa/plugin-irsa-common';
import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  rebind,
  ROLE,
  unreadable,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  ['pass', 'healthy', () => {}, `Role ${ROLE} exists`],
  [
    'fail',
    'deleted',
    e => {
      e.role = known(undefined);
    },
    `The role ${ROLE} does not exist in account 111122223333`,
  ],
  [
    'fail',
    'unknown role',
    e => {
      e.roleArn = undefined;
      e.roleArnSource = 'none';
      e.requireBinding = false;
      rebind(e, {});
    },
    `Role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${ROLE} exists`,
  ],
  [
    'unknown',
    'role unreadable',
    e => {
      e.role = unreadable('iam:GetRole');
    },
    'Could not check: iam:GetRole failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
];

describe('the role check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('role', change)).toEqual(
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
