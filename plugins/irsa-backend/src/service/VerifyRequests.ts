import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { isIrsaAvailable } from '@backstage-irsa/plugin-irsa-common';
import {
  TooManyVerificationsError,
  type VerificationService,
} from './VerificationService';

/** Lookups of an entity that the catalog may not have ingested yet. */
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 15_000;

/**
 * Handles `irsa.verify-requested` events: the payload only names an entity;
 * the backend looks it up in the catalog with its own credentials and runs
 * the checks itself. Nothing else in the payload is read, so an event can
 * never put a status or a time into the store.
 */
export class VerifyRequests {
  private readonly pending = new Set<string>();

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      verification: VerificationService;
      logger: LoggerService;
      attempts?: number;
      retryDelayMs?: number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  /**
   * Verifies the entity the payload names, retrying the catalog lookup
   * briefly for an entity registered moments ago; gives up quietly. Never
   * throws. Answers whether a report was stored.
   */
  async handle(payload: unknown): Promise<boolean> {
    const { logger } = this.options;
    const ref = this.entityRefOf(payload);
    if (!ref) {
      logger.warn(
        'IRSA: ignored an irsa.verify-requested event without a valid entityRef',
      );
      return false;
    }
    // One pending request per entity; more of the same add nothing.
    if (this.pending.has(ref)) return false;
    this.pending.add(ref);
    try {
      return await this.verifyWhenCatalogued(ref);
    } catch (error) {
      logger.warn(
        `IRSA: requested verification of ${ref} failed: ${(error as Error).message}`,
      );
      return false;
    } finally {
      this.pending.delete(ref);
    }
  }

  private entityRefOf(payload: unknown): string | undefined {
    if (typeof payload !== 'object' || payload === null) return undefined;
    const entityRef = (payload as { entityRef?: unknown }).entityRef;
    if (typeof entityRef !== 'string') return undefined;
    try {
      return stringifyEntityRef(parseEntityRef(entityRef));
    } catch {
      return undefined;
    }
  }

  private async verifyWhenCatalogued(ref: string): Promise<boolean> {
    const { catalog, auth, verification, logger } = this.options;
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
    const delayMs = this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    const sleep =
      this.options.sleep ??
      ((ms: number) =>
        new Promise<void>(resolve => setTimeout(resolve, ms).unref()));
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const credentials = await auth.getOwnServiceCredentials();
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (entity) {
        if (!isIrsaAvailable(entity)) {
          logger.info(
            `IRSA: ${ref} has no irsa.dev/service-account annotation; nothing to verify`,
          );
          return false;
        }
        try {
          const report = await verification.verify(entity, 'provision');
          logger.info(`IRSA: verified ${ref} on request: ${report.status}`);
          return true;
        } catch (error) {
          if (error instanceof TooManyVerificationsError) {
            logger.info(
              `IRSA: ${ref} not verified on request: ${error.message}`,
            );
            return false;
          }
          throw error;
        }
      }
      if (attempt < attempts) await sleep(delayMs);
    }
    logger.info(
      `IRSA: ${ref} is not in the catalog after ${attempts} lookups; not verified`,
    );
    return false;
  }
}
