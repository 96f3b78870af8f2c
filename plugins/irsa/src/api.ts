import {
  createApiRef,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  parseEntityRef,
  type CompoundEntityRef,
} from '@backstage/catalog-model';
import type {
  ClustersResponse,
  FleetResponse,
  FleetStatus,
  IdentityMechanism,
  OrphansResponse,
  ReportHistoryResponse,
  ServiceAccountCheckResponse,
  StoredReportResponse,
  WorkloadRestartResponse,
} from '@backstage-irsa/plugin-irsa-common';

/** The entity was verified moments ago; the server asks to wait. */
export class IrsaCooldownError extends Error {
  name = 'IrsaCooldownError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Re-verify is available again in ${retryAfterSeconds} s`);
  }
}

/** Filters and page of the fleet list; absent filters match everything. */
export interface FleetListQuery {
  cluster?: string;
  /** An owner ref; a bare name means a group in the default namespace. */
  owner?: string;
  status?: FleetStatus;
  /** A check id that must be failing. */
  check?: string;
  mechanism?: IdentityMechanism;
  offset?: number;
  limit?: number;
}

/** The irsa backend's REST API, as the card uses it. */
export interface IrsaApi {
  /** The stored report, or undefined when the entity has none yet. */
  getReport(entityRef: string): Promise<StoredReportResponse | undefined>;
  /** Runs every check now; throws IrsaCooldownError on 429. */
  verify(entityRef: string): Promise<StoredReportResponse>;
  getHistory(entityRef: string, limit?: number): Promise<ReportHistoryResponse>;
  /**
   * Restarts the workloads owning the pods the latest report names as
   * "restart needed" (all, or the `owners` given as `kind/name`), then
   * verifies again. Needs irsa.workload.restart on the entity.
   */
  restartWorkloads(
    entityRef: string,
    owners?: string[],
  ): Promise<WorkloadRestartResponse>;
  /** The clusters configured under `irsa.clusters`, for the template. */
  listClusters(): Promise<ClustersResponse>;
  /**
   * Whether a template may provision this ServiceAccount: it exists, who
   * owns it, and whether the namespace is allowed. Needs irsa.role.create.
   */
  checkServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<ServiceAccountCheckResponse>;
  /** The entities with IRSA the caller may read, filtered and paged. */
  listFleet(query?: FleetListQuery): Promise<FleetResponse>;
  /** What belongs to nobody. Needs irsa.fleet.read. */
  listOrphans(): Promise<OrphansResponse>;
}

/** @public */
export const irsaApiRef = createApiRef<IrsaApi>({ id: 'plugin.irsa.service' });

/** Talks to /api/irsa/v1 with the signed-in user's token (fetchApi). */
export class IrsaClient implements IrsaApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async getReport(entityRef: string) {
    const response = await this.call(entityRef, '');
    if (response.status === 404) return undefined;
    return this.json<StoredReportResponse>(response);
  }

  async verify(entityRef: string) {
    const response = await this.call(entityRef, '/verify', { method: 'POST' });
    if (response.status === 429) {
      throw new IrsaCooldownError(
        Number(response.headers.get('Retry-After')) || 30,
      );
    }
    return this.json<StoredReportResponse>(response);
  }

  async getHistory(entityRef: string, limit = 20) {
    return this.json<ReportHistoryResponse>(
      await this.call(entityRef, `/history?limit=${limit}`),
    );
  }

  async restartWorkloads(entityRef: string, owners?: string[]) {
    return this.json<WorkloadRestartResponse>(
      await this.call(entityRef, '/restart', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(owners ? { owners } : {}),
      }),
    );
  }

  async listClusters() {
    const base = await this.options.discoveryApi.getBaseUrl('irsa');
    return this.json<ClustersResponse>(
      await this.options.fetchApi.fetch(`${base}/v1/clusters`),
    );
  }

  async checkServiceAccount(cluster: string, namespace: string, name: string) {
    const base = await this.options.discoveryApi.getBaseUrl('irsa');
    const [c, ns, sa] = [cluster, namespace, name].map(encodeURIComponent);
    return this.json<ServiceAccountCheckResponse>(
      await this.options.fetchApi.fetch(
        `${base}/v1/clusters/${c}/namespaces/${ns}/serviceaccounts/${sa}`,
      ),
    );
  }

  async listFleet(query: FleetListQuery = {}) {
    const base = await this.options.discoveryApi.getBaseUrl('irsa');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return this.json<FleetResponse>(
      await this.options.fetchApi.fetch(
        `${base}/v1/entities${search ? `?${search}` : ''}`,
      ),
    );
  }

  async listOrphans() {
    const base = await this.options.discoveryApi.getBaseUrl('irsa');
    return this.json<OrphansResponse>(
      await this.options.fetchApi.fetch(`${base}/v1/orphans`),
    );
  }

  private async call(entityRef: string, suffix: string, init?: RequestInit) {
    const { kind, namespace, name }: CompoundEntityRef =
      parseEntityRef(entityRef);
    const base = await this.options.discoveryApi.getBaseUrl('irsa');
    const path = [kind, namespace, name]
      .map(p => encodeURIComponent(p.toLocaleLowerCase('en-US')))
      .join('/');
    return this.options.fetchApi.fetch(
      `${base}/v1/entities/${path}${suffix}`,
      init,
    );
  }

  private async json<T>(response: Response): Promise<T> {
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }
}
