import type { ReportSummary } from '@backstage-irsa/plugin-irsa-common';

/** What changed between a report and the one before it. */
export type HistoryChange =
  /** The first report the history holds for the entity. */
  | { kind: 'first' }
  /** One of the two summaries predates `failingChecks`; no diff is possible. */
  | { kind: 'unrecorded' }
  /** Same status, same checks needing attention. */
  | { kind: 'none' }
  | { kind: 'changed'; lines: string[] };

/**
 * Compares a summary with the previous one. Summaries name the checks that
 * need attention (fail, warn, unknown), so a check moves between "passing"
 * and "failing" in these terms; the overall status says which it is now.
 */
export function describeChange(
  newer: ReportSummary,
  older: ReportSummary | undefined,
): HistoryChange {
  if (!older) return { kind: 'first' };
  if (!newer.failingChecks || !older.failingChecks) {
    return newer.status === older.status
      ? { kind: 'unrecorded' }
      : {
          kind: 'changed',
          lines: [`status: ${older.status} → ${newer.status}`],
        };
  }
  const before = new Set(older.failingChecks);
  const after = new Set(newer.failingChecks);
  const lines = [
    ...(newer.status !== older.status
      ? [`status: ${older.status} → ${newer.status}`]
      : []),
    ...newer.failingChecks
      .filter(id => !before.has(id))
      .map(id => `${id}: passing → failing`),
    ...older.failingChecks
      .filter(id => !after.has(id))
      .map(id => `${id}: failing → passing`),
  ];
  return lines.length ? { kind: 'changed', lines } : { kind: 'none' };
}
