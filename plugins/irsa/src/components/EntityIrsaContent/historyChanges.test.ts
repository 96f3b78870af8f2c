import type { ReportSummary } from '@backstage-irsa/plugin-irsa-common';
import { describeChange } from './historyChanges';

function summary(overrides: Partial<ReportSummary>): ReportSummary {
  return {
    status: 'pass',
    verifiedAt: '2026-11-24T10:00:00.000Z',
    durationMs: 30,
    trigger: 'schedule',
    counts: { pass: 12, warn: 0, fail: 0, unknown: 0, skipped: 0 },
    failingChecks: [],
    ...overrides,
  };
}

describe('describeChange', () => {
  it('marks the oldest report as the first', () => {
    expect(describeChange(summary({}), undefined)).toEqual({ kind: 'first' });
  });

  it('says "none" when status and failing checks are the same', () => {
    const failing = summary({ status: 'fail', failingChecks: ['role'] });
    expect(describeChange(failing, { ...failing })).toEqual({ kind: 'none' });
  });

  it('names checks that started and stopped failing, and the status move', () => {
    expect(
      describeChange(
        summary({
          status: 'fail',
          failingChecks: ['trust-subject', 'allowlist'],
        }),
        summary({ status: 'warn', failingChecks: ['allowlist', 'cloudtrail'] }),
      ),
    ).toEqual({
      kind: 'changed',
      lines: [
        'status: warn → fail',
        'trust-subject: passing → failing',
        'cloudtrail: failing → passing',
      ],
    });
  });

  it('cannot diff a summary made before failingChecks existed, except its status', () => {
    const old = summary({ status: 'fail', failingChecks: undefined });
    expect(describeChange(summary({ status: 'fail' }), old)).toEqual({
      kind: 'unrecorded',
    });
    expect(describeChange(summary({ status: 'pass' }), old)).toEqual({
      kind: 'changed',
      lines: ['status: fail → pass'],
    });
  });
});
