import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  type OverallStatus,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ClusterFacts,
  ClusterFactsService,
} from '@backstage-irsa/plugin-irsa-node';
import type { ReportStore } from './ReportStore';
import {
  TooManyVerificationsError,
  type VerificationService,
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

/** Re-verifies every annotated entity: facts once per cluster, bounded concurrency. */
export class FleetVerification {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      store: ReportStore;
      verification: VerificationService;
      facts: ClusterFactsService;
      logger: LoggerService;
      concurrency: number;
      intervalMs: number;
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
    // Another replica (or a user) verified it this interval: leave it.
    const due = items.filter(e => {
      const at = last.get(stringifyEntityRef(e));
      return !at || started - at.getTime() >= this.options.intervalMs * 0.9;
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
    const factsByCluster = new Map<string, Promise<ClusterFacts | undefined>>();
    const factsFor = (cluster: string) => {
      if (!factsByCluster.has(cluster)) {
        factsByCluster.set(
          cluster,
          this.options.facts.get(cluster, { refresh: true }).catch(error => {
            logger.warn(
              `IRSA fleet run: facts of cluster ${cluster} unavailable: ${error.message}`,
            );
            return undefined; // each verification then reports the facts as unknown
          }),
        );
      }
      return factsByCluster.get(cluster)!;
    };

    const queue = [...due];
    const worker = async () => {
      for (let entity = queue.shift(); entity; entity = queue.shift()) {
        if (signal?.aborted) {
          summary.notStarted += 1;
          continue;
        }
        await this.verifyOne(entity, factsFor, summary, signal);
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
    factsFor: (cluster: string) => Promise<ClusterFacts | undefined>,
    summary: FleetRunSummary,
    signal: AbortSignal | undefined,
  ) {
    const ref = stringifyEntityRef(entity);
    try {
      const { cluster } = this.options.verification.requestFor(
        entity,
        'schedule',
      );
      const report = await this.options.verification.verify(
        entity,
        'schedule',
        { facts: await factsFor(cluster), signal },
      );
      summary.verified += 1;
      summary.byStatus[report.status] += 1;
    } catch (error) {
      if (error instanceof TooManyVerificationsError) {
        // Claimed by another replica or a request: it is being verified.
        summary.skippedRecent += 1;
        return;
      }
      if (signal?.aborted) {
        summary.cancelled += 1;
        return;
      }
      summary.errors += 1;
      this.options.logger.warn(
        `IRSA fleet run: ${ref} could not be verified: ${(error as Error).message}`,
      );
    }
  }
}
