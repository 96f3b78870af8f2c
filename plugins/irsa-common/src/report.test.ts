import {
  checkTitle,
  countStatuses,
  overallStatus,
  type CheckResult,
} from './report';

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

describe('checkTitle', () => {
  it("uses the result's own title, the built-in title for older reports, else the id", () => {
    expect(checkTitle({ id: 'role', title: 'Role (custom title)' })).toBe(
      'Role (custom title)',
    );
    expect(checkTitle({ id: 'trust-subject' })).toBe('Trust subject');
    expect(checkTitle({ id: 'tag-policy' })).toBe('tag-policy');
    // Never a property every object inherits.
    expect(checkTitle({ id: 'constructor' })).toBe('constructor');
  });
});
