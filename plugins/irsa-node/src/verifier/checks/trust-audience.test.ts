import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  ISSUER,
  PROVIDER,
  role,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  ['pass', 'healthy', () => {}, 'Audience is sts.amazonaws.com'],
  [
    'warn',
    'no aud condition',
    e => {
      delete (
        role(e).trustPolicy.Statement[0].Condition!.StringEquals as Record<
          string,
          unknown
        >
      )[`${ISSUER}:aud`];
    },
    `The trust policy does not pin ${ISSUER}:aud to sts.amazonaws.com`,
  ],
  [
    'fail',
    'custom audience',
    e => {
      e.audience = 'vault';
      e.provider = known({
        arn: PROVIDER,
        url: ISSUER,
        clientIds: ['vault'],
        thumbprints: [],
      });
    },
    'The trust policy expects audience sts.amazonaws.com, tokens carry vault',
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

describe('the trust-audience check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('trust-audience', change)).toEqual(
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
