import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  RESTART_CHECK_IDS,
  reportPodsNeedingRestart,
  type FailedWorkloadRestart,
  type RestartedWorkload,
  type SkippedPod,
  type VerificationReport,
  type WorkloadRestartResponse,
} from '@backstage-irsa/plugin-irsa-common';
import {
  isGatewayError,
  isRestartableWorkload,
  type ClusterGateway,
  type PodOwner,
  type WorkloadRef,
} from '@backstage-irsa/plugin-irsa-node';
import type { ReportStore } from './ReportStore';
import {
  TooManyVerificationsError,
  type VerificationService,
} from './VerificationService';

/** How long a restart waits for the old pods to be replaced before it verifies. */
export const DEFAULT_ROLLOUT_WAIT_MS = 30_000;
const POLL_INTERVAL_MS = 2_000;
/** More owners than this in one request is not a click in the portal. */
const MAX_OWNERS = 20;

/** `deployment/payments-api`, as kubectl names a workload. */
export function workloadKey(workload: WorkloadRef): string {
  return `${workload.kind.toLowerCase()}/${workload.name}`;
}

/**
 * The pods the report's checks named as needing a restart (see
 * `reportPodsNeedingRestart`), or, for reports stored before
 * `restartNeeded` existed, the pods whose first container lacks the role or
 * the token file.
 */
export function restartNeededPods(report: VerificationReport): string[] {
  const named = reportPodsNeedingRestart(report);
  const check = report.checks.find(c => c.id === 'pod-injection');
  if (named.length || check?.status !== 'fail' || check.evidence.restartNeeded)
    return named;
  const pods = Array.isArray(check.evidence.pods) ? check.evidence.pods : [];
  return pods.flatMap(p => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return [];
    const stale = p.roleArn !== report.roleArn || !p.tokenFile;
    return stale && typeof p.name === 'string' ? [p.name] : [];
  });
}

/** What a failed gateway call was, without the provider's text. */
function describe(error: unknown): string {
  if (!isGatewayError(error)) return 'an unexpected error';
  const what: Record<string, string> = {
    'access-denied': "access denied to Backstage's identity",
    'not-found': 'not found',
    conflict: 'a concurrent change conflicted',
    throttled: 'throttled',
    'invalid-input': 'refused as invalid',
  };
  const code = error.code && /^\w{1,32}$/.test(error.code) ? error.code : '';
  return `${what[error.kind] ?? 'unavailable'}${code ? ` (${code})` : ''}`;
}

/** Why a pod of the report is not restarted through a workload. */
function skipReason(
  owner: PodOwner,
  serviceAccount: string,
): string | undefined {
  if (!owner.found)
    return 'no longer exists (already replaced); verify again to see its successor';
  if (owner.serviceAccountName !== serviceAccount)
    return `now runs with ServiceAccount ${owner.serviceAccountName}, not ${serviceAccount}`;
  if (!owner.owner)
    return 'a bare pod: no controller recreates it; delete it and start it again';
  if (!isRestartableWorkload(owner.owner))
    return `owned by ${workloadKey(owner.owner)}, which rollout restart cannot restart; recreate its pods (for a Job: run it again)`;
  return undefined;
}

/**
 * "Restart pods" on a restart-needed report: finds the Deployments,
 * StatefulSets and DaemonSets that own the pods the entity's latest report
 * named (and that still run with the entity's ServiceAccount), restarts them
 * as `kubectl rollout restart` does, waits for the old pods to be replaced
 * and verifies the entity again. Nothing from the caller names a workload
 * that is not among those.
 */
export class WorkloadRestarter {
  constructor(
    private readonly options: {
      kubernetes: ClusterGateway;
      store: ReportStore;
      verification: VerificationService;
      logger: LoggerService;
      /** Default {@link DEFAULT_ROLLOUT_WAIT_MS}. */
      rolloutWaitMs?: number;
      pollIntervalMs?: number;
    },
  ) {}

  /**
   * Restarts the owners (all, or the subset `owners` names as
   * `kind/name`), then verifies. ConflictError when the latest report shows
   * no pod to restart; InputError naming `owners[i]` for a workload that is
   * not one of them; ServiceUnavailableError when the cluster cannot be read
   * or refuses every restart.
   */
  async restart(
    entity: Entity,
    selection: { owners?: string[] } = {},
  ): Promise<WorkloadRestartResponse> {
    const { kubernetes, store, verification, logger } = this.options;
    const target = verification.requestFor(entity, 'manual');
    const ref = target.entityRef;
    const report = await store.latest(ref);
    if (!report) {
      throw new ConflictError(
        `${ref} has no IAM report yet; verify it before restarting pods`,
      );
    }
    if (
      report.cluster !== target.cluster ||
      report.namespace !== target.namespace ||
      report.serviceAccount !== target.serviceAccount
    ) {
      throw new ConflictError(
        `The latest report of ${ref} is for ${report.namespace}/${report.serviceAccount} on ${report.cluster}, not the entity's ServiceAccount ${target.namespace}/${target.serviceAccount} on ${target.cluster}; verify it first`,
      );
    }
    const pods = restartNeededPods(report);
    if (!pods.length) {
      const statuses = RESTART_CHECK_IDS.flatMap(id => {
        const check = report.checks.find(c => c.id === id);
        return check ? [`${id}: ${check.status}`] : [];
      });
      throw new ConflictError(
        `The latest report of ${ref} shows no pods that need a restart (${statuses.join(', ') || 'no pod check'})`,
      );
    }

    let owners: PodOwner[];
    try {
      owners = await kubernetes.resolvePodOwners(
        target.cluster,
        target.namespace,
        pods,
      );
    } catch (error) {
      throw new ServiceUnavailableError(
        `Could not read the owners of the pods on cluster ${target.cluster}: ${describe(error)}; Backstage's identity needs get on pods and apps/replicasets (README)`,
      );
    }
    const skipped: SkippedPod[] = [];
    const workloads = new Map<
      string,
      { workload: WorkloadRef; pods: string[] }
    >();
    for (const owner of owners) {
      const reason = skipReason(owner, target.serviceAccount);
      if (reason) {
        skipped.push({ pod: owner.pod, reason });
        continue;
      }
      const key = workloadKey(owner.owner!);
      const entry = workloads.get(key) ?? { workload: owner.owner!, pods: [] };
      entry.pods.push(owner.pod);
      workloads.set(key, entry);
    }
    const chosen = this.select(workloads, selection.owners);
    if (!chosen.length) {
      throw new ConflictError(
        `None of the pods that need a restart can be restarted from the portal: ${skipped
          .map(s => `${s.pod} ${s.reason}`)
          .join('; ')}`,
      );
    }

    const restarted: RestartedWorkload[] = [];
    const failed: FailedWorkloadRestart[] = [];
    for (const { workload, pods: owned } of chosen) {
      try {
        const { restartedAt } = await kubernetes.restartWorkload(
          target.cluster,
          target.namespace,
          workload,
        );
        restarted.push({ ...workload, pods: owned, restartedAt });
        logger.info(
          `IRSA: restarted ${workloadKey(workload)} in ${target.namespace} on ${target.cluster} for ${ref}`,
        );
      } catch (error) {
        failed.push({ ...workload, pods: owned, message: describe(error) });
      }
    }
    if (!restarted.length) {
      throw new ServiceUnavailableError(
        `No workload was restarted: ${failed
          .map(f => `${workloadKey(f)}: ${f.message}`)
          .join(
            '; ',
          )}; Backstage's identity needs patch on apps/deployments, statefulsets and daemonsets (README)`,
      );
    }

    await this.waitForReplacement(
      target,
      restarted.flatMap(r => r.pods),
      restarted.map(r => r.restartedAt).sort()[0],
    );
    let verificationResult: WorkloadRestartResponse['verification'];
    try {
      const fresh = await verification.verify(entity, 'manual', {
        fresh: true,
      });
      verificationResult = { report: { report: fresh, stale: false } };
    } catch (error) {
      // Another replica verifying it says when to try again; nothing else is echoed.
      verificationResult = {
        error:
          error instanceof TooManyVerificationsError
            ? `The workloads were restarted; ${error.message}`
            : 'The workloads were restarted, but verifying again failed; use Re-verify',
      };
    }
    return { restarted, failed, skipped, verification: verificationResult };
  }

  /** The workloads to restart: all, or the ones `owners` names (validated). */
  private select(
    workloads: Map<string, { workload: WorkloadRef; pods: string[] }>,
    owners: string[] | undefined,
  ) {
    if (owners === undefined) return [...workloads.values()];
    if (owners.length > MAX_OWNERS)
      throw new InputError(`owners: at most ${MAX_OWNERS} workloads`);
    const known = [...workloads.keys()].join(', ') || 'none';
    const picked = new Set<string>();
    owners.forEach((owner, i) => {
      const [kind, ...rest] = owner.split('/');
      const key = `${kind.toLowerCase()}/${rest.join('/')}`;
      if (!workloads.has(key)) {
        throw new InputError(
          `owners[${i}]: "${owner}" is not a workload of the pods that need a restart (restartable: ${known})`,
        );
      }
      picked.add(key);
    });
    return [...picked].map(key => workloads.get(key)!);
  }

  /**
   * Waits (bounded) until none of the restarted pods as they were before
   * the restart still runs, so the verification sees the new ones. A
   * StatefulSet's replacements keep their names: they are told apart by
   * their creation time.
   */
  private async waitForReplacement(
    target: { cluster: string; namespace: string; serviceAccount: string },
    pods: string[],
    restartedAt: string,
  ) {
    const waitMs = this.options.rolloutWaitMs ?? DEFAULT_ROLLOUT_WAIT_MS;
    const interval = this.options.pollIntervalMs ?? POLL_INTERVAL_MS;
    const deadline = Date.now() + waitMs;
    const old = new Set(pods);
    for (;;) {
      const current = await this.options.kubernetes
        .listPodsForServiceAccount(
          target.cluster,
          target.namespace,
          target.serviceAccount,
        )
        .catch(() => undefined);
      // Unreadable pods: the verification says so itself.
      if (!current) return;
      const remaining = current.filter(
        p => old.has(p.name) && p.creationTimestamp < restartedAt,
      );
      if (!remaining.length || Date.now() + interval > deadline) return;
      await new Promise(resolve => setTimeout(resolve, interval));
    }
  }
}
