import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { IrsaService, Verifier } from '../service/types';
import type { IrsaCheckRegistry } from '../verifier/CheckRegistry';
import { DefaultVerifier } from '../verifier/DefaultVerifier';
import {
  DEFAULT_VERIFIER_OPTIONS,
  readVerifierOptions,
  type VerifierOptions,
} from '../verifier/options';
import { CloudTrailWindows } from './CloudTrailWindows';
import { FleetSnapshot, type FleetComponent } from './FleetSnapshot';
import { snapshotIrsaService } from './snapshotIrsaService';

/** What {@link FleetVerifier} is built from. */
export interface FleetVerifierOptions {
  service: IrsaService;
  logger: LoggerService;
  /** The checks to run; default: the built-in checks only. */
  checks?: IrsaCheckRegistry;
  /** The verifier's settings (`irsa.verification`), each defaulting when left out. */
  settings?: Partial<VerifierOptions>;
  /** Namespaces read at once while gathering (default 8). */
  concurrency?: number;
  cloudTrail?: {
    /** How far each read reaches back into the previous one (default 5). */
    overlapMinutes?: number;
    /** Above this many events per read an account-region is looked up per role (default 50,000). */
    maxEventsPerRead?: number;
  };
  now?: () => number;
}

/**
 * Batched verification for the scheduled fleet run. `prepare` reads what the
 * components share once (see {@link FleetSnapshot}) and gives a verifier
 * that runs the same checks as the targeted one, reading through the
 * snapshot: per component only the token request and the credential
 * exchange reach Kubernetes and AWS. CloudTrail is read incrementally from
 * one run to the next. A single re-verification stays targeted.
 */
export class FleetVerifier {
  private readonly cloudTrail: CloudTrailWindows;
  private readonly settings: Partial<VerifierOptions>;

  /** From `irsa.verification` (the shared verifier's settings). */
  static fromConfig(
    options: Omit<FleetVerifierOptions, 'settings'> & { config: Config },
  ): FleetVerifier {
    const { config, ...rest } = options;
    return new FleetVerifier({
      ...rest,
      settings: readVerifierOptions(config),
    });
  }

  constructor(private readonly options: FleetVerifierOptions) {
    this.settings = options.settings ?? {};
    this.cloudTrail = new CloudTrailWindows({
      cloudTrail: options.service.cloudTrail,
      lookbackMinutes:
        this.settings.cloudTrail?.lookbackMinutes ??
        DEFAULT_VERIFIER_OPTIONS.cloudTrail.lookbackMinutes,
      overlapMinutes: options.cloudTrail?.overlapMinutes ?? 5,
      maxEventsPerRead: options.cloudTrail?.maxEventsPerRead ?? 50_000,
      now: options.now,
    });
  }

  /**
   * Gathers the snapshot for these components and returns the verifier that
   * reads through it (cluster facts included). Unreadable parts are logged
   * and read per component instead; after `signal` aborts nothing more is
   * read.
   */
  async prepare(
    components: FleetComponent[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Verifier> {
    const { service, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const started = now();
    const snapshot = await FleetSnapshot.gather({
      service,
      components,
      cloudTrail: this.cloudTrail,
      logger,
      concurrency: this.options.concurrency ?? 8,
      signal: options.signal,
    });
    logger.debug(
      `IRSA fleet snapshot of ${components.length} components read in ${now() - started} ms`,
    );
    const verifier = new DefaultVerifier({
      ...this.settings,
      service: snapshotIrsaService(service, snapshot),
      logger,
      checks: this.options.checks,
    });
    return {
      verify: (request, verifyOptions) =>
        verifier.verify(request, {
          ...verifyOptions,
          facts: verifyOptions?.facts ?? snapshot.facts(request.cluster),
        }),
    };
  }
}
