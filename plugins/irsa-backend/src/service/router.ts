import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  CHECK_IDS,
  EKS_ROLE_ARN_ANNOTATION,
  FLEET_STATUSES,
  IDENTITY_MECHANISMS,
  irsaEntityReadPermission,
  irsaFleetReadPermission,
  irsaEntityVerifyPermission,
  irsaRoleCreatePermission,
  irsaWorkloadRestartPermission,
  isIrsaAvailable,
  type ClustersResponse,
  type FleetStatus,
  type IdentityMechanism,
  type ReportHistoryResponse,
  type ServiceAccountCheckResponse,
  type StoredReportResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  checkNamespace,
  isCallerAllowed,
  isPermissionNamedForService,
  isGatewayError,
  ownershipFromServiceAccount,
  validateNamespace,
  validateServiceAccountName,
  type ClusterGateway,
  type ClusterRegistry,
} from '@backstage-irsa/plugin-irsa-node';
import express, { type Request } from 'express';
import Router from 'express-promise-router';
import type { FleetOverview, FleetQuery } from './FleetOverview';
import type { ReportStore } from './ReportStore';
import type { WorkloadRestarter } from './WorkloadRestarter';
import {
  TooManyVerificationsError,
  type VerificationService,
} from './VerificationService';

const KIND = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
/** `kind/name` as kubectl writes a workload. */
const WORKLOAD = /^[A-Za-z]{1,63}\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Everything the REST API needs. */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
  store: ReportStore;
  verification: VerificationService;
  /** "Restart pods" on a restart-needed report. */
  restarter: WorkloadRestarter;
  /** The configured clusters (`irsa.clusters`), for the template's picker. */
  clusters: ClusterRegistry;
  /** Reads ServiceAccounts for the template's live validation. */
  kubernetes: ClusterGateway;
  logger: LoggerService;
  /** Reports older than this are marked stale (the schedule interval). */
  staleAfterMs: number;
  /** The fleet list and its orphans. */
  fleet: FleetOverview;
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
    restarter,
    clusters,
    kubernetes,
    staleAfterMs,
    fleet,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '10kb' }));

  // What a refusal says the caller may not do.
  const refusals: Record<string, string> = {
    [irsaEntityReadPermission.name]: 'read the IAM report of',
    [irsaEntityVerifyPermission.name]: 'verify',
    [irsaWorkloadRestartPermission.name]: 'restart the workloads of',
  };
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
        `You are not allowed to ${refusals[permission.name]} ${resourceRef}`,
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

  router.get('/v1/entities', async (req, res) => {
    const query = fleetQuery(req.query);
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    // As for every IAM-report read, a service principal's access
    // restrictions must name irsa.entity.read.
    if (!isPermissionNamedForService(credentials, irsaEntityReadPermission)) {
      throw new NotAllowedError(
        `You are not allowed to list IAM reports (permission ${irsaEntityReadPermission.name})`,
      );
    }
    res.json(await fleet.list(credentials, query));
  });

  router.get('/v1/orphans', async (req, res) => {
    if (Object.keys(req.query).length) {
      throw new InputError(
        `${Object.keys(req.query)[0]}: is not a parameter of this route`,
      );
    }
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const allowed = await isCallerAllowed(permissions, credentials, {
      permission: irsaFleetReadPermission,
    });
    if (!allowed) {
      throw new NotAllowedError(
        `You are not allowed to see the fleet's orphans (permission ${irsaFleetReadPermission.name})`,
      );
    }
    res.json(await fleet.orphans());
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
          // The portal calls the backend from another origin: without this
          // the card cannot read how long to wait.
          res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
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

  router.post(
    '/v1/entities/:kind/:namespace/:name/restart',
    async (req, res) => {
      const ref = entityRefFrom(req);
      const owners = restartSelection(req.body);
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const audit = await auditor.createEvent({
        eventId: 'workload-restart',
        severityLevel: 'medium',
        request: req,
        meta: { entityRef: ref, ...(owners ? { owners } : {}) },
      });
      try {
        await authorize(irsaWorkloadRestartPermission, ref, credentials);
        const entity = await annotatedEntity(ref, credentials);
        const result = await restarter.restart(entity, { owners });
        const meta = {
          restarted: result.restarted.map(w => `${w.kind}/${w.name}`),
          failed: result.failed.map(w => `${w.kind}/${w.name}`),
          skippedPods: result.skipped.map(p => p.pod),
        };
        if (result.failed.length) {
          await audit.fail({
            meta,
            error: new Error(
              `Not restarted: ${result.failed.map(w => `${w.kind}/${w.name} (${w.message})`).join(', ')}`,
            ),
          });
        } else {
          await audit.success({ meta });
        }
        res.json(result);
      } catch (error) {
        await audit.fail({ error: error as Error });
        throw error;
      }
    },
  );

  // Not entity-scoped: any signed-in user or service may see which clusters
  // are configured (names, accounts, regions), as the template needs them.
  router.get('/v1/clusters', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const body: ClustersResponse = {
      items: clusters.list().map(c => ({
        name: c.name,
        accountId: c.accountId,
        region: c.region,
        defaultMechanism: c.defaultMechanism ?? 'irsa',
      })),
    };
    res.json(body);
  });

  router.get(
    '/v1/clusters/:cluster/namespaces/:namespace/serviceaccounts/:name',
    async (req, res) => {
      const cluster = clusters.get(req.params.cluster);
      const namespace = validateNamespace(req.params.namespace);
      const name = validateServiceAccountName(req.params.name, 'name');
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      // It tells who owns a ServiceAccount: for those who may run the template.
      const allowed = await isCallerAllowed(permissions, credentials, {
        permission: irsaRoleCreatePermission,
      });
      if (!allowed) {
        throw new NotAllowedError(
          `You are not allowed to check ServiceAccounts (permission ${irsaRoleCreatePermission.name})`,
        );
      }
      let reason: string | undefined;
      try {
        checkNamespace(cluster, namespace);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        reason = error.message;
      }
      const account = await kubernetes
        .getServiceAccount(cluster.name, namespace, name)
        .catch(error => {
          throw new ServiceUnavailableError(
            `Could not read ServiceAccount ${namespace}/${name} on cluster ${cluster.name}${isGatewayError(error) ? ` (${error.kind})` : ''}`,
          );
        });
      const ownership = account
        ? ownershipFromServiceAccount(account)
        : undefined;
      const roleArn = account?.annotations[EKS_ROLE_ARN_ANNOTATION];
      const body: ServiceAccountCheckResponse = {
        exists: Boolean(account),
        ...(ownership?.entityRef ? { ownedBy: ownership.entityRef } : {}),
        managedByUs: ownership?.managed ?? false,
        ...(roleArn ? { roleArn } : {}),
        namespaceAllowed: reason === undefined,
        ...(reason ? { reason } : {}),
      };
      res.json(body);
    },
  );

  return router;
}

const FLEET_PARAMS = [
  'cluster',
  'owner',
  'status',
  'check',
  'mechanism',
  'offset',
  'limit',
] as const;
const CLUSTER_NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,98}[a-zA-Z0-9])?$/;
const OWNER_REF =
  /^([a-zA-Z][a-zA-Z0-9-]{0,62}:)?([a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}\/)?[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const CHECK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The fleet list's query: every parameter checked, each error naming it. */
function fleetQuery(raw: Request['query']): FleetQuery {
  const unknown = Object.keys(raw).find(
    key => !(FLEET_PARAMS as readonly string[]).includes(key),
  );
  if (unknown !== undefined) {
    throw new InputError(
      `${unknown}: is not a parameter; use ${FLEET_PARAMS.join(', ')}`,
    );
  }
  const single = (name: (typeof FLEET_PARAMS)[number]) => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !value) {
      throw new InputError(`${name}: must be given once, not empty`);
    }
    return value;
  };
  const integer = (
    name: 'offset' | 'limit',
    fallback: number,
    min: number,
    max: number,
  ) => {
    const value = single(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InputError(`${name}: must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  const cluster = single('cluster');
  if (cluster !== undefined && !CLUSTER_NAME.test(cluster)) {
    throw new InputError(
      'cluster: must be a cluster name (irsa.clusters[].name)',
    );
  }
  const owner = single('owner');
  if (owner !== undefined && !OWNER_REF.test(owner)) {
    throw new InputError(
      'owner: must be an entity ref such as "group:default/payments"',
    );
  }
  const status = single('status');
  if (
    status !== undefined &&
    !(FLEET_STATUSES as readonly string[]).includes(status)
  ) {
    throw new InputError(`status: must be one of ${FLEET_STATUSES.join(', ')}`);
  }
  const check = single('check');
  if (check !== undefined && !CHECK_ID.test(check)) {
    throw new InputError(
      `check: must be a check id such as ${CHECK_IDS.slice(0, 2).join(' or ')}`,
    );
  }
  const mechanism = single('mechanism');
  if (
    mechanism !== undefined &&
    !(IDENTITY_MECHANISMS as readonly string[]).includes(mechanism)
  ) {
    throw new InputError(
      `mechanism: must be one of ${IDENTITY_MECHANISMS.join(', ')}`,
    );
  }
  return {
    cluster,
    owner: owner === undefined ? undefined : normaliseOwner(owner),
    status: status as FleetStatus | undefined,
    check,
    mechanism: mechanism as IdentityMechanism | undefined,
    offset: integer('offset', 0, 0, 1_000_000),
    limit: integer('limit', 50, 1, 500),
  };
}

/** An owner filter as a full lower-case ref (kind group, namespace default). */
function normaliseOwner(owner: string): string {
  const [kindPart, rest] = owner.includes(':')
    ? owner.split(':', 2)
    : ['group', owner];
  const [namespace, name] = rest.includes('/')
    ? rest.split('/', 2)
    : ['default', rest];
  return `${kindPart}:${namespace}/${name}`.toLocaleLowerCase('en-US');
}

/**
 * The restart request's body: empty, or `owners`, the workloads to restart
 * (`kind/name`, checked later against the pods' owners).
 */
function restartSelection(body: unknown): string[] | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InputError('body: must be an object');
  const keys = Object.keys(body);
  if (keys.some(k => k !== 'owners'))
    throw new InputError(
      'body: only "owners" may be given; the entity is named by the path',
    );
  const { owners } = body as { owners?: unknown };
  if (owners === undefined) return undefined;
  if (
    !Array.isArray(owners) ||
    owners.length === 0 ||
    owners.some(o => typeof o !== 'string' || !WORKLOAD.test(o))
  ) {
    throw new InputError(
      'owners: must be a non-empty list of workloads such as "deployment/payments-api"',
    );
  }
  return owners;
}
