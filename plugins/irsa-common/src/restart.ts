import type { CheckResult, VerificationReport } from './report';

/**
 * Checks that name, in `evidence.restartNeeded` (pod names), the running
 * pods a restart fixes: pods created before the ServiceAccount was annotated
 * (IRSA), before the association existed, or still on the old mechanism
 * during a migration (Pod Identity).
 */
export const RESTART_CHECK_IDS: readonly string[] = [
  'pod-injection',
  'pod-identity-injection',
];

/** The pods this check says a restart fixes (none when it passed). */
export function podsNeedingRestart(check: CheckResult): string[] {
  if (!RESTART_CHECK_IDS.includes(check.id)) return [];
  if (check.status !== 'fail' && check.status !== 'warn') return [];
  const listed = check.evidence.restartNeeded;
  return Array.isArray(listed)
    ? listed.filter((pod): pod is string => typeof pod === 'string')
    : [];
}

/** Every pod the report's checks say a restart fixes, each once. */
export function reportPodsNeedingRestart(report: VerificationReport): string[] {
  return [...new Set(report.checks.flatMap(podsNeedingRestart))];
}
