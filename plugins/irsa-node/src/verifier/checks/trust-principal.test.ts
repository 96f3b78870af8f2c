import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  role,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    "The trust policy trusts the cluster's OIDC provider",
  ],
  [
    'fail',
    'other provider',
    e => {
      role(e).trustPolicy.Statement[0].Principal = {
        Federated: 'arn:aws:iam::111122223333:oidc-provider/other',
      };
    },
    "The trust policy trusts arn:aws:iam::111122223333:oidc-provider/other, not this cluster's OIDC provider",
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

describe('the trust-principal check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('trust-principal', change)).toEqual(
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
