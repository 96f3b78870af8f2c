import type { CheckResult, VerificationReport } from './report';
import { podsNeedingRestart, reportPodsNeedingRestart } from './restart';

const check = (overrides: Partial<CheckResult>): CheckResult => ({
  id: 'pod-injection',
  status: 'fail',
  message: 'Restart needed',
  evidence: { restartNeeded: ['api-1'] },
  durationMs: 1,
  ...overrides,
});

describe('podsNeedingRestart', () => {
  it('reads restartNeeded of either injection check on fail or warn', () => {
    expect(podsNeedingRestart(check({}))).toEqual(['api-1']);
    expect(
      podsNeedingRestart(
        check({ id: 'pod-identity-injection', status: 'warn' }),
      ),
    ).toEqual(['api-1']);
  });

  it('names nothing for a passing check, another check, or malformed evidence', () => {
    expect(podsNeedingRestart(check({ status: 'pass' }))).toEqual([]);
    expect(podsNeedingRestart(check({ id: 'shadowing' }))).toEqual([]);
    expect(
      podsNeedingRestart(check({ evidence: { restartNeeded: 'api-1' } })),
    ).toEqual([]);
    expect(
      podsNeedingRestart(
        check({ evidence: { restartNeeded: ['a', 3, null] } }),
      ),
    ).toEqual(['a']);
  });
});

describe('reportPodsNeedingRestart', () => {
  it('unites both checks, each pod once', () => {
    const report = {
      checks: [
        check({ evidence: { restartNeeded: ['api-1', 'api-2'] } }),
        check({
          id: 'pod-identity-injection',
          evidence: { restartNeeded: ['api-2', 'api-3'] },
        }),
      ],
    } as VerificationReport;
    expect(reportPodsNeedingRestart(report)).toEqual([
      'api-1',
      'api-2',
      'api-3',
    ]);
  });
});
