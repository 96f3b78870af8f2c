import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  ISSUER,
  unreadable,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    `OIDC provider for ${ISSUER} exists and lists sts.amazonaws.com`,
  ],
  [
    'fail',
    'no provider',
    e => {
      e.provider = known(undefined);
    },
    `No IAM OIDC provider exists for the cluster's issuer ${ISSUER}`,
  ],
  [
    'fail',
    'audience not listed',
    e => {
      e.audience = 'vault';
    },
    'The OIDC provider does not list the audience vault',
  ],
  [
    'unknown',
    'facts unreadable',
    e => {
      e.facts = unreadable('cluster facts');
    },
    'Could not check: cluster facts failed: unavailable (no usable answer)',
  ],
];

describe('the oidc-provider check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('oidc-provider', change)).toEqual(
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
