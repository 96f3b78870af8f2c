import type {
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  EKS_ROLE_ARN_ANNOTATION,
  FLEET_STATUSES,
  irsaEntityReadPermission,
  type CheckResult,
  type FleetEntity,
  type FleetOrphan,
  type FleetResponse,
  type FleetStatus,
  type IdentityMechanism,
  type OrphansResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  OWNERSHIP,
  ownershipFromTags,
  type ClusterRegistry,
  type EksGateway,
  type IamGateway,
  type IrsaCluster,
  type PodIdentityAssociationInfo,
} from '@backstage-irsa/plugin-irsa-node';
import { FleetEntityIndex, type FleetIndexEntry } from './FleetEntityIndex';
import type { LatestSummary, ReportStore } from './ReportStore';

/** The filters and page of `GET /v1/entities`. */
export interface FleetQuery {
  cluster?: string;
  /** A full owner ref, lower-cased (`group:default/payments`). */
  owner?: string;
  status?: FleetStatus;
  /** A check id that must be among the failing checks. */
  check?: string;
  mechanism?: IdentityMechanism;
  offset: number;
  limit: number;
}

/** How many entities one batched permission request names. */
const AUTHORIZE_BATCH = 250;
/** Associations described at the same time per cluster (EKS rate limits). */
const DESCRIBE_CONCURRENCY = 5;

/**
 * How long the roles and associations read for the orphans answer: reading
 * them costs a call per role and per association, and a page reload should
 * not repeat that.
 */
export const ORPHAN_SOURCES_MAX_AGE_MS = 60_000;

/** What the orphan search read from AWS: candidates and what could not be read. */
type OrphanSources = { tagged: Tagged[]; errors: string[] };
/**
 * What a caller must hold on an entity to see its row: the catalog's read
 * (the row shows its name, title and owner) and the IAM report's.
 */
const READ_PERMISSIONS = [
  catalogEntityReadPermission,
  irsaEntityReadPermission,
];

/** A candidate orphan: something tagged for an entity that may be gone. */
type Tagged = { entityRef: string; orphan: FleetOrphan };

/**
 * The platform team's view of the fleet: every annotated entity and its
 * newest report, and what the project set up that belongs to nobody.
 */
export class FleetOverview {
  private readonly index: FleetEntityIndex;
  // One read at a time, shared by concurrent requests; a complete one is
  // kept for ORPHAN_SOURCES_MAX_AGE_MS, one with errors is not kept.
  private orphanSources?: { at: number; sources: Promise<OrphanSources> };

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      permissions: PermissionsService;
      store: ReportStore;
      clusters: ClusterRegistry;
      iam: Pick<IamGateway, 'listManagedRoles'>;
      eks: Pick<
        EksGateway,
        'listPodIdentityAssociations' | 'describePodIdentityAssociation'
      >;
      logger: LoggerService;
      staleAfterMs: number;
      /** `irsa.provisioning.rolePath`: where this project creates roles. */
      rolePath: string;
      /** How long a catalog listing answers (FLEET_INDEX_MAX_AGE_MS). */
      indexMaxAgeMs?: number;
      /** How long the roles and associations read answer (ORPHAN_SOURCES_MAX_AGE_MS). */
      orphanSourcesMaxAgeMs?: number;
    },
  ) {
    this.index = new FleetEntityIndex({
      catalog: options.catalog,
      auth: options.auth,
      clusters: options.clusters,
      logger: options.logger,
      maxAgeMs: options.indexMaxAgeMs,
    });
  }

  /**
   * The annotated entities the caller may read in the catalog and may read
   * the IAM report of (irsa.entity.read), filtered, counted and paged.
   */
  async list(
    credentials: BackstageCredentials,
    query: FleetQuery,
  ): Promise<FleetResponse> {
    const [entries, summaries, decisions] = await Promise.all([
      this.index.entries(),
      this.options.store.latestSummaries(),
      this.options.permissions.authorizeConditional(
        READ_PERMISSIONS.map(permission => ({ permission })),
        { credentials },
      ),
    ]);
    const readable = await this.readable(entries, decisions, credentials);

    const counts = Object.fromEntries(
      FLEET_STATUSES.map(s => [s, 0]),
    ) as FleetResponse['counts'];
    const matching: Row[] = [];
    for (const entry of readable) {
      if (query.cluster && entry.cluster !== query.cluster) continue;
      if (query.owner && entry.ownerKey !== query.owner) continue;
      const summary = summaries.get(entry.key);
      const mechanism = summary?.mechanism ?? entry.declaredMechanism;
      if (query.mechanism && mechanism !== query.mechanism) continue;
      if (query.check && !summary?.failingChecks.includes(query.check)) {
        continue;
      }
      // Counts answer "how many of each status would the other filters show".
      const status = summary?.status ?? 'none';
      counts[status] += 1;
      if (query.status && status !== query.status) continue;
      matching.push({ entry, summary, mechanism, status });
    }
    const now = Date.now();
    return {
      items: matching
        .slice(query.offset, query.offset + query.limit)
        .map(row => this.fleetEntity(row, now)),
      totalItems: matching.length,
      counts,
    };
  }

  /**
   * What belongs to nobody: entities and ServiceAccounts whose role is gone
   * (from the newest failing reports), and what this project tagged for an
   * entity that is gone from the catalog: managed roles (per account) and
   * EKS Pod Identity associations (per cluster).
   */
  async orphans(): Promise<OrphansResponse> {
    const items: FleetOrphan[] = [];
    for (const { report } of await this.options.store.latestReportsWithStatus([
      'fail',
    ])) {
      items.push(...orphansInReport(report));
    }

    const { tagged, errors } = await this.readOrphanSources();
    // The catalog is asked every time: an entity removed a moment ago counts.
    const gone = await this.refsNotInCatalog(tagged.map(t => t.entityRef));
    items.push(...tagged.filter(t => gone.has(t.entityRef)).map(t => t.orphan));
    return { items, errors };
  }

  /** The managed roles and associations tagged for an entity, read at most once per max age. */
  private readOrphanSources(): Promise<OrphanSources> {
    const maxAge =
      this.options.orphanSourcesMaxAgeMs ?? ORPHAN_SOURCES_MAX_AGE_MS;
    const cached = this.orphanSources;
    if (cached && Date.now() - cached.at < maxAge) return cached.sources;
    const clusters = this.options.clusters.list();
    // IAM is global to an account: clusters sharing one share its roles.
    const byAccount = new Map<string, IrsaCluster>();
    for (const c of clusters) {
      if (!byAccount.has(c.accountId)) byAccount.set(c.accountId, c);
    }
    const sources = Promise.all([
      ...[...byAccount.values()].map(c => this.taggedRoles(c)),
      ...clusters.map(c => this.taggedAssociations(c)),
    ]).then(read => ({
      tagged: read.flatMap(r => ('tagged' in r ? r.tagged : [])),
      errors: read.flatMap(r => ('error' in r ? [r.error] : [])),
    }));
    const entry = { at: Date.now(), sources };
    this.orphanSources = entry;
    // A partial or failed read is retried by the next request.
    const forget = () => {
      if (this.orphanSources === entry) this.orphanSources = undefined;
    };
    sources.then(({ errors }) => errors.length && forget(), forget);
    return sources;
  }

  private fleetEntity(row: Row, now: number): FleetEntity {
    const { entry, summary } = row;
    return {
      entityRef: entry.entityRef,
      ...(entry.title ? { title: entry.title } : {}),
      owner: entry.owner,
      cluster: entry.cluster,
      namespace: entry.namespace,
      serviceAccount: entry.serviceAccount,
      mechanism: row.mechanism,
      status: row.status,
      failingChecks: summary?.failingChecks ?? [],
      ...(summary ? { verifiedAt: summary.verifiedAt.toISOString() } : {}),
      stale: summary
        ? now - summary.verifiedAt.getTime() > this.options.staleAfterMs
        : true,
    };
  }

  /**
   * The entries the caller may read: every one when both permissions allow,
   * none when either denies; a conditional decision (owners only, say) is
   * applied per entity by the permission framework, in batches.
   */
  private async readable(
    entries: readonly FleetIndexEntry[],
    decisions: Array<{ result: AuthorizeResult }>,
    credentials: BackstageCredentials,
  ): Promise<readonly FleetIndexEntry[]> {
    if (decisions.some(d => d.result === AuthorizeResult.DENY)) return [];
    const conditional = READ_PERMISSIONS.filter(
      (_, i) => decisions[i].result === AuthorizeResult.CONDITIONAL,
    );
    if (!conditional.length) return entries;
    const allowed: FleetIndexEntry[] = [];
    for (let i = 0; i < entries.length; i += AUTHORIZE_BATCH) {
      const batch = entries.slice(i, i + AUTHORIZE_BATCH);
      const answers = await this.options.permissions.authorize(
        batch.flatMap(entry =>
          conditional.map(permission => ({
            permission,
            resourceRef: entry.entityRef,
          })),
        ),
        { credentials },
      );
      batch.forEach((entry, j) => {
        const own = answers.slice(
          j * conditional.length,
          (j + 1) * conditional.length,
        );
        if (own.every(a => a.result === AuthorizeResult.ALLOW)) {
          allowed.push(entry);
        }
      });
    }
    return allowed;
  }

  /** Roles of the account tagged for an entity. */
  private async taggedRoles(
    cluster: IrsaCluster,
  ): Promise<{ tagged: Tagged[] } | { error: string }> {
    const target = this.options.clusters.target(cluster.name);
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
      return {
        error: `Could not list the IAM roles of cluster ${cluster.name}`,
      };
    }
    const tagged: Tagged[] = [];
    for (const role of roles) {
      const { managed, entityRef } = ownershipFromTags(role.tags);
      if (!managed || !entityRef) continue;
      tagged.push({
        entityRef,
        orphan: {
          kind: 'role',
          roleArn: role.arn,
          entityRef,
          cluster: role.tags[OWNERSHIP.cluster] || cluster.name,
          reason: `Role ${role.name} is tagged for ${entityRef}, which is not in the catalog`,
        },
      });
    }
    return { tagged };
  }

  /**
   * The cluster's Pod Identity associations tagged for an entity. The list
   * carries no tags, so each association is described.
   */
  private async taggedAssociations(
    cluster: IrsaCluster,
  ): Promise<{ tagged: Tagged[] } | { error: string }> {
    const { eks, clusters, logger } = this.options;
    const target = clusters.target(cluster.name);
    const failed = (what: string, error: unknown) => {
      logger.warn(
        `IRSA orphans: could not ${what} of cluster ${cluster.name}: ${(error as Error).name}`,
      );
      return {
        error: `Could not ${what} of cluster ${cluster.name}`,
      };
    };
    let summaries;
    try {
      summaries = await eks.listPodIdentityAssociations(
        target,
        cluster.eksClusterName,
      );
    } catch (error) {
      return failed('list the Pod Identity associations', error);
    }
    // Those an EKS add-on owns are not this project's.
    const candidates = summaries.filter(a => !a.ownerArn);
    let described: PodIdentityAssociationInfo[];
    try {
      described = await mapConcurrently(candidates, DESCRIBE_CONCURRENCY, a =>
        eks.describePodIdentityAssociation(
          target,
          cluster.eksClusterName,
          a.associationId,
        ),
      );
    } catch (error) {
      return failed('describe the Pod Identity associations', error);
    }
    const tagged: Tagged[] = [];
    for (const association of described) {
      const { managed, entityRef } = ownershipFromTags(association.tags);
      if (!managed || !entityRef) continue;
      const { associationId, namespace, serviceAccount } = association;
      tagged.push({
        entityRef,
        orphan: {
          kind: 'association',
          associationId,
          cluster: cluster.name,
          namespace,
          serviceAccount,
          roleArn: association.roleArn,
          entityRef,
          reason: `Pod Identity association ${associationId} (${namespace}/${serviceAccount}) is tagged for ${entityRef}, which is not in the catalog`,
        },
      });
    }
    return { tagged };
  }

  /**
   * Which of these refs the catalog does not know, asked with the backend's
   * own credentials: the route's irsa.fleet.read already decided that the
   * caller may see orphans.
   */
  private async refsNotInCatalog(refs: string[]): Promise<Set<string>> {
    const unique = [...new Set(refs)];
    if (!unique.length) return new Set();
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs: unique, fields: ['kind', 'metadata.name'] },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    return new Set(unique.filter((_, i) => !items[i]));
  }
}

/** `fn` over every item, at most `concurrency` at a time, answers in order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** One entity of a list answer, before it is paged. */
interface Row {
  entry: FleetIndexEntry;
  summary?: LatestSummary;
  mechanism: IdentityMechanism;
  status: FleetStatus;
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
