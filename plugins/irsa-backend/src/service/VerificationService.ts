import type { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
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
import type { VerificationClaims } from './VerificationClaims';

/**
 * Thrown when an entity may not be verified now: it was verified moments ago,
 * or another backend instance is verifying it. The router answers 429.
 */
export class TooManyVerificationsError extends Error {
  name = 'TooManyVerificationsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Options of {@link VerificationService.verify}. */
export interface VerifyEntityOptions {
  facts?: ClusterFacts;
  signal?: AbortSignal;
  fresh?: boolean;
  /** Verify with this verifier instead (a fleet run's, reading its snapshot). */
  verifier?: Verifier;
  /**
   * A fleet run's claim: held until the run's deadline (when the scheduler
   * would cancel the run), so that a replica which dies mid-run blocks its
   * entities no longer than its run could have lasted; refused when the
   * entity finished a verification less than `freshMs` ago (another run of
   * this interval, or a user), decided by the database across replicas.
   */
  fleetRun?: { deadline: number; freshMs: number };
}

/** How long a claim holds an entity; a crashed replica's claim expires then. */
const LEASE_MS = 5 * 60_000;
/** What another replica's caller is told to wait while a run is going. */
const BUSY_RETRY_SECONDS = 5;

/**
 * The one writer of reports: verifies an entity from its current annotations
 * with the backend's own verifier and stores the result. A run is claimed in
 * the database first, so concurrent requests (on this or another replica)
 * never run twice and never slip past the cooldown; callers on this replica
 * join the run already going.
 */
export class VerificationService {
  private readonly inFlight = new Map<string, Promise<VerificationReport>>();

  constructor(
    private readonly options: {
      verifier: Verifier;
      store: ReportStore;
      claims: VerificationClaims;
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
      ...(annotations.mechanism ? { mechanism: annotations.mechanism } : {}),
      entityRef: stringifyEntityRef(entity),
      trigger,
    };
  }

  /**
   * Verifies now. A run already going on this replica is joined. Otherwise
   * the entity is claimed in the database: refused (TooManyVerificationsError)
   * while another replica runs it, or, except for scheduled runs, within the
   * cooldown after the last run. A run cancelled through `signal` stores
   * nothing and answers ServiceUnavailableError.
   *
   * `fresh`: the caller just changed what the checks read (a restart), so a
   * run that started earlier is not joined (it is awaited, then a new one
   * runs) and the cooldown does not apply; another replica's run still
   * refuses it.
   */
  verify(
    entity: Entity,
    trigger: VerificationTrigger,
    options?: VerifyEntityOptions,
  ): Promise<VerificationReport> {
    let request: ReturnType<VerificationService['requestFor']>;
    try {
      request = this.requestFor(entity, trigger);
    } catch (error) {
      return Promise.reject(error);
    }
    const ref = request.entityRef;
    const running = this.inFlight.get(ref);
    if (running && !options?.fresh) return running;
    const start = () => this.claimAndRun(request, options);
    // Registered before the first await, so a concurrent caller joins it.
    const run = (running ? running.then(start, start) : start()).finally(() => {
      if (this.inFlight.get(ref) === run) this.inFlight.delete(ref);
    });
    this.inFlight.set(ref, run);
    return run;
  }

  private async claimAndRun(
    request: ReturnType<VerificationService['requestFor']>,
    options: VerifyEntityOptions | undefined,
  ): Promise<VerificationReport> {
    const { store, claims } = this.options;
    const verifier = options?.verifier ?? this.options.verifier;
    const ref = request.entityRef;
    const now = this.now();
    const fleetRun = options?.fleetRun;
    let cooldownMs: number | undefined;
    if (fleetRun) cooldownMs = fleetRun.freshMs;
    else if (request.trigger !== 'schedule' && !options?.fresh) {
      cooldownMs = this.options.cooldownSeconds * 1000;
    }
    const claim = await claims.claim(ref, {
      now: new Date(now),
      leaseMs: fleetRun ? Math.max(1, fleetRun.deadline - now) : LEASE_MS,
      cooldownMs,
    });
    if (!claim.claimed) {
      if (claim.reason === 'running') {
        throw new TooManyVerificationsError(
          `This entity is being verified by another instance; try again in ${BUSY_RETRY_SECONDS} s`,
          BUSY_RETRY_SECONDS,
        );
      }
      const seconds = Math.max(
        1,
        Math.ceil((claim.availableAt.getTime() - now) / 1000),
      );
      throw new TooManyVerificationsError(
        `This entity was verified moments ago; try again in ${seconds} s`,
        seconds,
      );
    }
    try {
      const report = await verifier.verify(request, {
        facts: options?.facts,
        signal: options?.signal,
      });
      if (report.aborted) {
        // Its unfinished checks say unknown: never let that replace a real report.
        throw new ServiceUnavailableError(
          `The verification of ${ref} was cancelled before it finished; nothing was stored`,
        );
      }
      await store.add(ref, report);
      await claims.release(ref, claim.token, {
        finishedAt: new Date(this.now()),
      });
      return report;
    } catch (error) {
      await claims.release(ref, claim.token, {}).catch(releaseError => {
        // The lease then expires on its own.
        this.options.logger.warn(
          `IRSA: could not release the verification claim of ${ref}: ${releaseError.message}`,
        );
      });
      throw error;
    }
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }
}
