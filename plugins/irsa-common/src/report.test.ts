import { overallStatus, countStatuses, CheckResult } from './report';

const check = (status: CheckResult['status']): CheckResult => ({
  id: 'role',
  status,
  message: '',
  evidence: {},
  durationMs: 0,
});

describe('overallStatus', () => {
  it.each([
    [['pass', 'pass'], 'pass'],
    [['pass', 'skipped'], 'pass'],
    [['pass', 'warn'], 'warn'],
    [['warn', 'unknown'], 'unknown'],
    [['unknown', 'fail'], 'fail'],
  ] as const)('%j -> %s', (statuses, expected) => {
    expect(overallStatus(statuses.map(check))).toBe(expected);
  });
  it('counts', () => {
    expect(
      countStatuses(['pass', 'fail', 'pass'].map(s => check(s as any))),
    ).toEqual({
      pass: 2,
      warn: 0,
      fail: 1,
      unknown: 0,
      skipped: 0,
    });
  });
});
