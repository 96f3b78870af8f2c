import { known } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  coverage,
  expectedOutcome,
  unreadable,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'No failed calls in the last 60 minutes (management events only)',
  ],
  [
    'warn',
    'failed calls',
    e => {
      e.cloudTrail = known([
        {
          eventId: '1',
          eventName: 'GetObject',
          eventSource: 's3.amazonaws.com',
          eventTime: '2026-11-27T00:00:00.000Z',
          errorCode: 'AccessDenied',
        },
      ]);
    },
    '1 failed call in the last 60 minutes (management events only): GetObject AccessDenied',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.cloudTrail = unreadable('cloudtrail:LookupEvents');
    },
    'Could not check: cloudtrail:LookupEvents failed: unavailable (no usable answer)',
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

describe('the cloudtrail check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('cloudtrail', change)).toEqual(
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
