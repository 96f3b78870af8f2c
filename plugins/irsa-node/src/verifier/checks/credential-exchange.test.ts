import { GatewayError } from '../../gateways/errors';
import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  ROLE,
  subjectCondition,
  unreadable,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    `A fresh ServiceAccount token was exchanged for arn:aws:sts::111122223333:assumed-role/${ROLE}/s`,
  ],
  [
    'fail',
    'refused',
    e => {
      e.exchange = known(
        new GatewayError({
          kind: 'invalid-token',
          operation: 'sts:AssumeRoleWithWebIdentity',
          message: 'raw text',
          code: 'InvalidIdentityToken',
        }),
      );
    },
    'AssumeRoleWithWebIdentity was refused: InvalidIdentityToken',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.exchange = unreadable('TokenRequest');
    },
    'Could not check: TokenRequest failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'trust subject failed',
    e => subjectCondition(e, 'StringEquals', 'system:serviceaccount:x:y'),
    'Skipped: Trust subject did not pass',
  ],
];

describe('the credential-exchange check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('credential-exchange', change)).toEqual(
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
