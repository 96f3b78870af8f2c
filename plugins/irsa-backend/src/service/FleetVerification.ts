import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  type OverallStatus,
} from '@backstage-irsa/plugin-irsa-common';
import type { FleetVerifier } from '@backstage-irsa/plugin-irsa-node';
import type { ReportStore } from './ReportStore';
import {
  TooManyVerificationsError,
  type VerificationService,
  type VerifyEntityOptions,
} from './VerificationService';

/** What one fleet run did. */
export interface FleetRunSummary {
  entities: number;
  verified: number;
  /** Verified within the interval already (by another replica or a user). */
  skippedRecent: number;
  errors: number;
  /** Not started because the run was aborted (scheduler timeout or shutdown). */
  notStarted: number;
  /** In flight when the run was aborted: cancelled, nothing stored. */
  cancelled: number;
  byStatus: Record<OverallStatus, number>;
  durationMs: number;
}

/**
 * Re-verifies every annotated entity that is due, batched: what the
 * components share (accounts, clusters, namespaces, CloudTrail) is read once
 * into a snapshot, then each component is verified through it with bounded
 * concurrency, so per component only its credential exchange is a call.
 */
export class FleetVerification {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      store: ReportStore;
      verification: VerificationService;
      /** Gathers a run's snapshot and gives the verifier that reads it. */
      fleet: Pick<FleetVerifier, 'prepare'>;
      logger: LoggerService;
      concurrency: number;
      /** The schedule's interval: each entity is verified once in each. */
      intervalMs: number;
      /** The schedule's timeout: no run lasts longer. */
      runTimeoutMs: number;
      now?: () => number;
    },
  ) {}

  /**
   * Runs once. When `signal` aborts (the scheduler's timeout or shutdown) no
   * further entity is started and the runs in flight are cancelled; a
   * cancelled run stores nothing, so each entity keeps its last real report.
   */
  async run(options?: { signal?: AbortSignal }): Promise<FleetRunSummary> {
    const signal = options?.signal;
    const { catalog, auth, store, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const started = now();
    const credentials = await auth.getOwnServiceCredentials();
    const { items } = await catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_IRSA_SERVICE_ACCOUNT}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.annotations',
          'apiVersion',
          'spec',
        ],
      },
      { credentials },
    );
    const refs = items.map(e => stringifyEntityRef(e));
    const last = await store.lastVerified(refs);
    // The previous run verified each entity at most a run's timeout after
    // it started, one interval before this one: such a report is at least
    // this old, and due again. A younger one belongs to this interval
    // (another replica's run, or a user): leave it. The claims decide the
    // same in the database, for runs that overlap.
    const freshMs = Math.max(
      0,
      this.options.intervalMs - this.options.runTimeoutMs,
    );
    const fleetRun = { deadline: started + this.options.runTimeoutMs, freshMs };
    const due = items.filter(e => {
      const at = last.get(stringifyEntityRef(e));
      return !at || started - at.getTime() >= freshMs;
    });

    const summary: FleetRunSummary = {
      entities: items.length,
      verified: 0,
      skippedRecent: items.length - due.length,
      errors: 0,
      notStarted: 0,
      cancelled: 0,
      byStatus: { pass: 0, warn: 0, fail: 0, unknown: 0 },
      durationMs: 0,
    };
    // The requests first: the snapshot reads what they share. An entity
    // whose annotations are unusable is recorded in its turn.
    const runs = due.map(entity => {
      try {
        return {
          entity,
          request: this.options.verification.requestFor(entity, 'schedule'),
        };
      } catch (error) {
        return { entity, error };
      }
    });
    const verifier = await this.options.fleet.prepare(
      runs.flatMap(r => (r.request ? [r.request] : [])),
      { signal },
    );

    const queue = [...runs];
    const worker = async () => {
      for (let run = queue.shift(); run; run = queue.shift()) {
        if (signal?.aborted) summary.notStarted += 1;
        else if (!run.request) this.recordError(run.entity, run.error, summary);
        else {
          await this.verifyOne(
            run.entity,
            { verifier, signal, fleetRun },
            summary,
          );
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, this.options.concurrency) }, worker),
    );
    if (signal?.aborted) {
      logger.warn(
        `IRSA fleet run aborted: ${summary.cancelled} cancelled in flight, ${summary.notStarted} of ${due.length} due entities not started`,
      );
    }
    summary.durationMs = now() - started;
    const counts = Object.entries(summary.byStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    logger.info(
      `IRSA fleet run: ${summary.verified} verified (${counts}), ${summary.skippedRecent} already fresh, ${summary.errors} errors, ${summary.entities} annotated entities, ${summary.durationMs} ms`,
    );
    return summary;
  }

  private async verifyOne(
    entity: Entity,
    options: VerifyEntityOptions,
    summary: FleetRunSummary,
  ) {
    try {
      const report = await this.options.verification.verify(
        entity,
        'schedule',
        options,
      );
      summary.verified += 1;
      summary.byStatus[report.status] += 1;
    } catch (error) {
      if (error instanceof TooManyVerificationsError) {
        // Claimed by another replica or a request: it is being verified.
        summary.skippedRecent += 1;
        return;
      }
      if (options.signal?.aborted) {
        summary.cancelled += 1;
        return;
      }
      this.recordError(entity, error, summary);
    }
  }

  private recordError(
    entity: Entity,
    error: unknown,
    summary: FleetRunSummary,
  ) {
    summary.errors += 1;
    this.options.logger.warn(
      `IRSA fleet run: ${stringifyEntityRef(entity)} could not be verified: ${(error as Error).message}`,
    );
  }
}
