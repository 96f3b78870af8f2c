import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  readIrsaAnnotations,
  type VerificationReport,
  type VerificationTrigger,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ClusterFacts,
  ClusterRegistry,
  Verifier,
} from '@backstage-irsa/plugin-irsa-node';
import type { ReportStore } from './ReportStore';

/** Thrown when an entity was verified too recently to run again. */
export class CooldownError extends Error {
  name = 'CooldownError';
  constructor(readonly retryAfterSeconds: number) {
    super(
      `This entity was verified moments ago; try again in ${retryAfterSeconds} s`,
    );
  }
}

/**
 * Verifies entities and stores the reports: resolves the annotations,
 * enforces the per-entity cooldown and lets concurrent requests for the same
 * entity share one run.
 */
export class VerificationService {
  private readonly inFlight = new Map<string, Promise<VerificationReport>>();

  constructor(
    private readonly options: {
      verifier: Verifier;
      store: ReportStore;
      clusters: ClusterRegistry;
      logger: LoggerService;
      cooldownSeconds: number;
      now?: () => number;
    },
  ) {}

  /** The verify request an entity's annotations describe; InputError names the annotation. */
  requestFor(entity: Entity, trigger: VerificationTrigger) {
    const annotations = readIrsaAnnotations(entity);
    const cluster =
      annotations.cluster ?? this.options.clusters.defaultCluster()?.name;
    if (!cluster) {
      throw new InputError(
        'irsa.dev/cluster: is missing and more than one cluster is configured',
      );
    }
    this.options.clusters.get(cluster); // names irsa.clusters when unknown
    return {
      cluster,
      namespace: annotations.namespace,
      serviceAccount: annotations.serviceAccount,
      roleArn: annotations.roleArn,
      entityRef: stringifyEntityRef(entity),
      trigger,
    };
  }

  /**
   * Verifies now. A run already going for this entity is joined; a run that
   * finished less than the cooldown ago answers CooldownError (manual only).
   */
  async verify(
    entity: Entity,
    trigger: VerificationTrigger,
    facts?: ClusterFacts,
  ): Promise<VerificationReport> {
    const request = this.requestFor(entity, trigger);
    const ref = request.entityRef;
    const running = this.inFlight.get(ref);
    if (running) return running;
    if (trigger === 'manual') await this.checkCooldown(ref);
    const run = this.options.verifier
      .verify(request, { facts })
      .then(async report => {
        await this.options.store.add(ref, report);
        return report;
      })
      .finally(() => this.inFlight.delete(ref));
    this.inFlight.set(ref, run);
    return run;
  }

  /** Stores a report made elsewhere (the scaffolder's aws:irsa:verify). */
  async record(entityRef: string, report: VerificationReport): Promise<void> {
    await this.options.store.add(entityRef, report);
  }

  private async checkCooldown(ref: string) {
    const last = (await this.options.store.lastVerified([ref])).get(ref);
    if (!last) return;
    const now = this.options.now?.() ?? Date.now();
    const remainingMs =
      last.getTime() + this.options.cooldownSeconds * 1000 - now;
    if (remainingMs > 0) throw new CooldownError(Math.ceil(remainingMs / 1000));
  }
}

/**
 * Stores a report published on IRSA_REPORT_TOPIC (by aws:irsa:verify), so a
 * component created from the template shows its card at once. Malformed
 * payloads are logged and dropped.
 */
export async function recordPublishedReport(
  verification: VerificationService,
  payload: unknown,
  logger: LoggerService,
): Promise<void> {
  const { entityRef, report } = (payload ?? {}) as {
    entityRef?: unknown;
    report?: Partial<VerificationReport>;
  };
  let ref: string | undefined;
  try {
    ref =
      typeof entityRef === 'string'
        ? stringifyEntityRef(parseEntityRef(entityRef))
        : undefined;
  } catch {
    ref = undefined;
  }
  const wellFormed =
    ref &&
    report &&
    Array.isArray(report.checks) &&
    typeof report.verifiedAt === 'string' &&
    typeof report.status === 'string';
  if (!wellFormed) {
    logger.warn(
      'Dropped a malformed IRSA report event (needs entityRef and a report with checks, status, verifiedAt)',
    );
    return;
  }
  await verification.record(ref!, {
    ...(report as VerificationReport),
    entityRef: ref!,
    trigger: 'provision',
  });
}
