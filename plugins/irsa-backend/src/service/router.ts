import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  irsaEntityReadPermission,
  irsaEntityVerifyPermission,
  isIrsaAvailable,
  type ReportHistoryResponse,
  type StoredReportResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { isCallerAllowed } from '@backstage-irsa/plugin-irsa-node';
import express, { type Request } from 'express';
import Router from 'express-promise-router';
import type { ReportStore } from './ReportStore';
import {
  TooManyVerificationsError,
  type VerificationService,
} from './VerificationService';

const KIND = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/** Everything the REST API needs. */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
  store: ReportStore;
  verification: VerificationService;
  logger: LoggerService;
  /** Reports older than this are marked stale (the schedule interval). */
  staleAfterMs: number;
}

function entityRefFrom(req: Request): string {
  const { kind, namespace, name } = req.params;
  if (!KIND.test(kind))
    throw new InputError('kind: must be a catalog kind such as "component"');
  if (!NAME.test(namespace))
    throw new InputError(
      'namespace: must be a catalog namespace (letters, digits, -_. up to 63)',
    );
  if (!NAME.test(name))
    throw new InputError(
      'name: must be a catalog entity name (letters, digits, -_. up to 63)',
    );
  return stringifyEntityRef({ kind, namespace, name });
}

/** The REST API under /api/irsa: every route authenticated and permission-checked. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    auditor,
    catalog,
    store,
    verification,
    staleAfterMs,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '10kb' }));

  const authorize = async (
    permission: ResourcePermission<'catalog-entity'>,
    resourceRef: string,
    credentials: BackstageCredentials,
  ) => {
    // A service principal needs its access restrictions to name the permission.
    const allowed = await isCallerAllowed(permissions, credentials, {
      permission,
      resourceRef,
    });
    if (!allowed) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.name === irsaEntityVerifyPermission.name ? 'verify' : 'read the IAM report of'} ${resourceRef}`,
      );
    }
  };

  // The entity as the caller may see it, and only when it has the IRSA annotations.
  const annotatedEntity = async (
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<Entity> => {
    const entity = await catalog.getEntityByRef(ref, { credentials });
    if (!entity)
      throw new NotFoundError(`Entity ${ref} was not found in the catalog`);
    if (!isIrsaAvailable(entity)) {
      throw new NotFoundError(
        `Entity ${ref} has no irsa.dev/service-account annotation, so it has no IAM report`,
      );
    }
    return entity;
  };

  const stored = (report: VerificationReport): StoredReportResponse => ({
    report,
    stale: Date.now() - new Date(report.verifiedAt).getTime() > staleAfterMs,
  });

  router.get('/v1/entities/:kind/:namespace/:name', async (req, res) => {
    const ref = entityRefFrom(req);
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    // Reports exist only for annotated entities, so the catalog is asked only
    // when there is none (to say why); the permission decision gates the answer.
    const [, report] = await Promise.all([
      authorize(irsaEntityReadPermission, ref, credentials),
      store.latest(ref),
    ]);
    if (!report) {
      await annotatedEntity(ref, credentials);
      throw new NotFoundError(
        `No IAM report for ${ref} yet; POST to .../verify to run the checks now`,
      );
    }
    res.json(stored(report));
  });

  router.get(
    '/v1/entities/:kind/:namespace/:name/history',
    async (req, res) => {
      const ref = entityRefFrom(req);
      const raw = req.query.limit ?? '20';
      const limit = Number(raw);
      if (
        typeof raw !== 'string' ||
        !Number.isInteger(limit) ||
        limit < 1 ||
        limit > 100
      ) {
        throw new InputError('limit: must be an integer from 1 to 100');
      }
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      await authorize(irsaEntityReadPermission, ref, credentials);
      await annotatedEntity(ref, credentials);
      const body: ReportHistoryResponse = {
        items: await store.history(ref, limit),
      };
      res.json(body);
    },
  );

  router.post(
    '/v1/entities/:kind/:namespace/:name/verify',
    async (req, res) => {
      const ref = entityRefFrom(req);
      if (req.body && Object.keys(req.body).length) {
        throw new InputError(
          'body: must be empty; the entity is named by the path',
        );
      }
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const audit = await auditor.createEvent({
        eventId: 'entity-verify',
        severityLevel: 'medium',
        request: req,
        meta: { entityRef: ref },
      });
      try {
        await authorize(irsaEntityVerifyPermission, ref, credentials);
        const entity = await annotatedEntity(ref, credentials);
        const report = await verification.verify(entity, 'manual');
        await audit.success({ meta: { status: report.status } });
        res.json(stored(report));
      } catch (error) {
        await audit.fail({ error: error as Error });
        if (error instanceof TooManyVerificationsError) {
          res.setHeader('Retry-After', String(error.retryAfterSeconds));
          res.status(429).json({
            error: { name: 'TooManyRequestsError', message: error.message },
            request: { method: req.method, url: req.url },
            response: { statusCode: 429 },
          });
          return;
        }
        throw error;
      }
    },
  );

  return router;
}
