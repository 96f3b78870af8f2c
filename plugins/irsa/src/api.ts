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
  ReportHistoryResponse,
  StoredReportResponse,
} from '@backstage-irsa/plugin-irsa-common';

/** The entity was verified moments ago; the server asks to wait. */
export class IrsaCooldownError extends Error {
  name = 'IrsaCooldownError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Re-verify is available again in ${retryAfterSeconds} s`);
  }
}

/** The irsa backend's REST API, as the card uses it. */
export interface IrsaApi {
  /** The stored report, or undefined when the entity has none yet. */
  getReport(entityRef: string): Promise<StoredReportResponse | undefined>;
  /** Runs every check now; throws IrsaCooldownError on 429. */
  verify(entityRef: string): Promise<StoredReportResponse>;
  getHistory(entityRef: string, limit?: number): Promise<ReportHistoryResponse>;
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
