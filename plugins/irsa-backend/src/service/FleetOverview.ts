import type {
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  parseEntityRef,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_IRSA_CLUSTER,
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  EKS_ROLE_ARN_ANNOTATION,
  FLEET_STATUSES,
  irsaEntityReadPermission,
  type CheckResult,
  type FleetEntity,
  type FleetOrphan,
  type FleetResponse,
  type FleetStatus,
  type OrphansResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ClusterRegistry,
  IamGateway,
} from '@backstage-irsa/plugin-irsa-node';
import { entityKey, type ReportStore } from './ReportStore';

/** The filters and page of `GET /v1/entities`. */
export interface FleetQuery {
  cluster?: string;
  /** A full owner ref, lower-cased (`group:default/payments`). */
  owner?: string;
  status?: FleetStatus;
  /** A check id that must be among the failing checks. */
  check?: string;
  offset: number;
  limit: number;
}

/** How many entities one batched permission request names. */
const AUTHORIZE_BATCH = 250;
const ENTITY_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
];
const MANAGED_BY_TAG = 'irsa.dev/managed-by';
const MANAGED_BY = 'backstage-irsa';
const ENTITY_REF_TAG = 'irsa.dev/entity-ref';
const CLUSTER_TAG = 'irsa.dev/cluster';

/**
 * The platform team's view of the fleet: every entity with IRSA and its
 * newest report, and what IRSA set up that belongs to nobody.
 */
export class FleetOverview {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      permissions: PermissionsService;
      store: ReportStore;
      clusters: ClusterRegistry;
      iam: Pick<IamGateway, 'listManagedRoles'>;
      logger: LoggerService;
      staleAfterMs: number;
      /** `irsa.provisioning.rolePath`: where this project creates roles. */
      rolePath: string;
    },
  ) {}

  /**
   * The annotated entities the caller may read in the catalog and may read
   * the IAM report of (irsa.entity.read), filtered, counted and paged.
   */
  async list(
    credentials: BackstageCredentials,
    query: FleetQuery,
  ): Promise<FleetResponse> {
    const [entities, summaries] = await Promise.all([
      this.readableEntities(credentials),
      this.options.store.latestSummaries(),
    ]);
    const now = Date.now();
    const rows = entities.map(entity => {
      const ref = stringifyEntityRef(entity);
      const summary = summaries.get(entityKey(ref));
      const row: FleetEntity = {
        entityRef: ref,
        ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
        owner: ownerRef(entity),
        cluster: this.clusterOf(entity),
        ...serviceAccountOf(entity),
        mechanism: 'irsa',
        status: summary?.status ?? 'none',
        failingChecks: summary?.failingChecks ?? [],
        ...(summary ? { verifiedAt: summary.verifiedAt.toISOString() } : {}),
        stale: summary
          ? now - summary.verifiedAt.getTime() > this.options.staleAfterMs
          : true,
      };
      return row;
    });
    // Counts answer "how many of each status would the other filters show".
    const matching = rows.filter(
      row =>
        (!query.cluster || row.cluster === query.cluster) &&
        (!query.owner ||
          row.owner.toLocaleLowerCase('en-US') === query.owner) &&
        (!query.check || row.failingChecks.includes(query.check)),
    );
    const counts = Object.fromEntries(
      FLEET_STATUSES.map(s => [s, 0]),
    ) as FleetResponse['counts'];
    for (const row of matching) counts[row.status] += 1;
    const filtered = query.status
      ? matching.filter(row => row.status === query.status)
      : matching;
    // Code-unit order: refs are ASCII, and 5,000 localeCompare calls are slow.
    filtered.sort((a, b) => compareRefs(a.entityRef, b.entityRef));
    return {
      items: filtered.slice(query.offset, query.offset + query.limit),
      totalItems: filtered.length,
      counts,
    };
  }

  /**
   * What belongs to nobody: entities and ServiceAccounts whose role is gone
   * (from the newest failing reports), and managed roles whose entity is
   * gone from the catalog (listed from IAM per configured cluster). EKS Pod
   * Identity associations are not covered: the project does not manage them yet.
   */
  async orphans(): Promise<OrphansResponse> {
    const items: FleetOrphan[] = [];
    const errors: string[] = [];
    for (const { report } of await this.options.store.latestReportsWithStatus([
      'fail',
    ])) {
      items.push(...orphansInReport(report));
    }

    // Whether an entity exists is asked with the backend's own credentials:
    // the permission above already decided the caller may see orphans.
    const ownCredentials = await this.options.auth.getOwnServiceCredentials();
    const seenAccounts = new Set<string>();
    for (const cluster of this.options.clusters.list()) {
      const target = this.options.clusters.target(cluster.name);
      // IAM is global to an account: clusters sharing one share its roles.
      if (seenAccounts.has(target.accountId)) continue;
      seenAccounts.add(target.accountId);
      let roles;
      try {
        roles = await this.options.iam.listManagedRoles(
          target,
          this.options.rolePath,
        );
      } catch (error) {
        this.options.logger.warn(
          `IRSA orphans: could not list the roles of cluster ${cluster.name}: ${(error as Error).name}`,
        );
        errors.push(`Could not list the IAM roles of cluster ${cluster.name}`);
        continue;
      }
      const tagged = roles.filter(
        r => r.tags[MANAGED_BY_TAG] === MANAGED_BY && r.tags[ENTITY_REF_TAG],
      );
      const refs = tagged.map(r => r.tags[ENTITY_REF_TAG]);
      const { items: found } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: refs, fields: ['kind', 'metadata.name'] },
        { credentials: ownCredentials },
      );
      tagged.forEach((role, i) => {
        if (found[i]) return;
        items.push({
          kind: 'role',
          roleArn: role.arn,
          entityRef: refs[i],
          cluster: role.tags[CLUSTER_TAG] || cluster.name,
          reason: `Role ${role.name} is tagged for ${refs[i]}, which is not in the catalog`,
        });
      });
    }
    return { items, errors };
  }

  private clusterOf(entity: Entity): string {
    return (
      entity.metadata.annotations?.[ANNOTATION_IRSA_CLUSTER]?.trim() ||
      this.options.clusters.defaultCluster()?.name ||
      ''
    );
  }

  private async readableEntities(
    credentials: BackstageCredentials,
  ): Promise<Entity[]> {
    const { permissions, catalog } = this.options;
    // Asked together: the catalog read is the slow part, and a denied
    // caller's listing is simply dropped.
    const [[decision], { items }] = await Promise.all([
      permissions.authorizeConditional(
        [{ permission: irsaEntityReadPermission }],
        { credentials },
      ),
      // The catalog answers only the entities the caller may read.
      catalog.getEntities(
        {
          filter: {
            [`metadata.annotations.${ANNOTATION_IRSA_SERVICE_ACCOUNT}`]:
              CATALOG_FILTER_EXISTS,
          },
          fields: ENTITY_FIELDS,
        },
        { credentials },
      ),
    ]);
    if (decision.result === AuthorizeResult.DENY) return [];
    if (decision.result === AuthorizeResult.ALLOW) return items;
    // Conditional (for instance: owners only): the permission framework
    // applies the conditions per entity, in batches.
    const allowed: Entity[] = [];
    for (let i = 0; i < items.length; i += AUTHORIZE_BATCH) {
      const batch = items.slice(i, i + AUTHORIZE_BATCH);
      const decisions = await permissions.authorize(
        batch.map(entity => ({
          permission: irsaEntityReadPermission,
          resourceRef: stringifyEntityRef(entity),
        })),
        { credentials },
      );
      batch.forEach((entity, j) => {
        if (decisions[j].result === AuthorizeResult.ALLOW) allowed.push(entity);
      });
    }
    return allowed;
  }
}

function compareRefs(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The owner as a full ref; an unparseable owner is kept as written. */
function ownerRef(entity: Entity): string {
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return '';
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return owner;
  }
}

function serviceAccountOf(entity: Entity) {
  const value =
    entity.metadata.annotations?.[ANNOTATION_IRSA_SERVICE_ACCOUNT]?.trim() ??
    '';
  const [namespace, serviceAccount] = value.includes('/')
    ? value.split('/', 2)
    : ['', value];
  return { namespace, serviceAccount };
}

const findCheck = (report: VerificationReport, id: string) =>
  report.checks.find((c): c is CheckResult => c.id === id);

/**
 * The orphans one failing report shows: the role its entity names does not
 * exist (the role check found no role in the cluster's account), and the
 * ServiceAccount that points at that missing role.
 */
export function orphansInReport(report: VerificationReport): FleetOrphan[] {
  const role = findCheck(report, 'role');
  if (!role || role.status !== 'fail' || !report.entityRef) return [];
  const { roleArn, roleArnSource, roleAccountId, clusterAccountId } =
    role.evidence;
  // A missing role has an ARN in the cluster's account and no role id.
  if (
    typeof roleArn !== 'string' ||
    roleAccountId !== clusterAccountId ||
    'roleId' in role.evidence
  ) {
    return [];
  }
  const orphans: FleetOrphan[] = [];
  if (roleArnSource === 'entity') {
    orphans.push({
      kind: 'entity',
      entityRef: report.entityRef,
      roleArn,
      cluster: report.cluster,
      reason: `The role ${roleArn} named by irsa.dev/role-arn does not exist`,
    });
  }
  const annotations = findCheck(report, 'service-account')?.evidence
    .annotations;
  if (
    annotations &&
    typeof annotations === 'object' &&
    !Array.isArray(annotations) &&
    annotations[EKS_ROLE_ARN_ANNOTATION] === roleArn
  ) {
    orphans.push({
      kind: 'serviceAccount',
      cluster: report.cluster,
      namespace: report.namespace,
      name: report.serviceAccount,
      roleArn,
      entityRef: report.entityRef,
      reason: `ServiceAccount ${report.namespace}/${report.serviceAccount} is annotated with ${roleArn}, which does not exist`,
    });
  }
  return orphans;
}
