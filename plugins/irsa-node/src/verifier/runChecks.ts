import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  CHECK_STATUSES,
  type CheckResult,
  type CheckStatus,
} from '@backstage-irsa/plugin-irsa-common';
import { BINDING_CHECK_ID, needsBinding } from './CheckRegistry';
import {
  EVIDENCE_SOURCES,
  type CheckEvidence,
  type EvidenceSourceName,
  type EvidenceSourceValue,
  type IrsaCheck,
  type IrsaCheckContext,
  type IrsaCheckOutcome,
} from './checkTypes';
import type { Evidence, Source } from './sources';

/** How a check's run is bounded and reported. */
export interface RunChecksOptions {
  /** Called with each result as it is decided, in run order. */
  onCheck?: (check: CheckResult) => void;
  /** How long one check's `run` may take; longer is `unknown`. */
  timeoutMs?: number;
  /** Where a check that threw is noted (its id and error name only). */
  logger?: LoggerService;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const SKIP_STATUSES = new Set<CheckStatus>(['fail', 'skipped', 'unknown']);
const SAFE_ERROR_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

class CheckTimeout extends Error {}

function isOutcome(value: unknown): value is IrsaCheckOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const { status, message, evidence, remediation } = value as Record<
    string,
    unknown
  >;
  return (
    CHECK_STATUSES.includes(status as CheckStatus) &&
    typeof message === 'string' &&
    (evidence === undefined ||
      (typeof evidence === 'object' &&
        evidence !== null &&
        !Array.isArray(evidence))) &&
    (remediation === undefined || typeof remediation === 'string')
  );
}

/** `run`, bounded by the timeout; any failure is an `unknown` outcome. */
async function decide(
  check: IrsaCheck,
  context: IrsaCheckContext,
  options: RunChecksOptions,
): Promise<IrsaCheckOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      Promise.resolve().then(() => check.run(context)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
      }),
    ]);
    if (!isOutcome(outcome)) {
      return {
        status: 'unknown',
        message: 'Could not check: the check returned an invalid outcome',
      };
    }
    return outcome;
  } catch (error) {
    if (error instanceof CheckTimeout) {
      return {
        status: 'unknown',
        message: `Could not check: the check did not finish within ${timeoutMs} ms`,
      };
    }
    // Only the error's class: its text may carry what a report must not.
    const name = error instanceof Error ? error.name : '';
    options.logger?.warn(
      `IRSA check ${check.id} failed with ${SAFE_ERROR_NAME.test(name) ? name : 'a non-Error value'}`,
    );
    return {
      status: 'unknown',
      message: 'Could not check: the check failed unexpectedly',
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the checks in the order given (the registry's: dependencies first).
 * A check whose binding is not proven, whose dependencies did not pass, or
 * whose sources could not be read is `skipped` or `unknown` without running.
 */
export async function runChecks(
  checks: readonly IrsaCheck[],
  evidence: Evidence,
  options: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>();
  const titles = new Map(checks.map(c => [c.id, c.title]));
  // Sources only through read(), so a check sees only what it declared.
  const plain = Object.freeze(
    Object.fromEntries(
      Object.entries(evidence).filter(
        ([key]) => !(EVIDENCE_SOURCES as readonly string[]).includes(key),
      ),
    ),
  ) as CheckEvidence;
  for (const check of checks) {
    const reads = check.reads ?? [];
    const sources = reads.map(r => evidence[r] as Source<unknown>);
    const readMs = Math.max(0, ...sources.map(s => s.ms));
    const dependsOn = check.dependsOn ?? [];
    const blocked = dependsOn.filter(id => {
      const status = results.get(id)?.status;
      return status === undefined || SKIP_STATUSES.has(status);
    });
    const unreadable = sources.find(s => !s.ok);
    const binding = results.get(BINDING_CHECK_ID)?.status;
    const started = Date.now();
    let outcome: IrsaCheckOutcome;
    if (needsBinding(check) && binding !== 'pass' && binding !== 'warn') {
      outcome = {
        status: 'skipped',
        message:
          binding === 'fail'
            ? 'Not shown: role not bound to this entity'
            : 'Not shown: the binding could not be checked',
      };
    } else if (blocked.length) {
      outcome = {
        status: 'skipped',
        message: `Skipped: ${blocked.map(id => titles.get(id) ?? id).join(', ')} did not pass`,
      };
    } else if (unreadable && !unreadable.ok) {
      outcome = {
        status: 'unknown',
        message: `Could not check: ${unreadable.reason}`,
      };
    } else {
      const context: IrsaCheckContext = {
        evidence: plain,
        read<K extends EvidenceSourceName>(source: K) {
          if (!reads.includes(source)) {
            throw new Error(
              `the check does not declare that it reads ${source}`,
            );
          }
          return (
            evidence[source] as unknown as { value: EvidenceSourceValue<K> }
          ).value;
        },
        dependencies: Object.fromEntries(
          dependsOn.map(id => [id, results.get(id)!]),
        ),
      };
      outcome = await decide(check, context, options);
    }
    const needsFix = outcome.status === 'fail' || outcome.status === 'warn';
    const remediation =
      outcome.remediation ?? (needsFix ? check.remediation : undefined);
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      mechanism: check.mechanism,
      status: outcome.status,
      message: outcome.message,
      evidence: outcome.evidence ?? {},
      ...(remediation !== undefined ? { remediation } : {}),
      durationMs: readMs + (Date.now() - started),
    };
    results.set(check.id, result);
    options.onCheck?.(result);
  }
  return [...results.values()];
}
