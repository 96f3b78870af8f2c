import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
  ],
  [
    'fail',
    'started before the annotation',
    e => {
      valueOf(e.pods)[0].containers[0].env = {};
    },
    'Restart needed: payments-api-1 started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'ServiceAccount failed',
    e => {
      e.serviceAccount = known(undefined);
    },
    'Skipped: ServiceAccount annotation did not pass',
  ],
];

describe('the pod-injection check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('pod-injection', change)).toEqual(
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
