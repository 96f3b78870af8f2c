import {
  ApiException,
  KubeConfig,
  Observable,
  setHeaderMiddleware,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1ListMeta,
} from '@kubernetes/client-node';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
} from '@smithy/types';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { readFileSync } from 'node:fs';
import { toGatewayError as toAwsGatewayError } from '../aws/errors';
import { GatewayError } from '../errors';
import { EksTokenProvider } from './eksToken';
import type { KubernetesClusterConfig } from './kubernetesClusters';
import { toGatewayError } from './kubernetesErrors';
import { declaredKubernetesRequest } from './kubernetesRequests';

/** The per-call timeout when `irsa.kubernetes.timeoutMs` is not set. */
export const DEFAULT_KUBERNETES_TIMEOUT_MS = 10_000;

/** Items per page of a list: few round trips, bounded responses. */
export const LIST_PAGE_LIMIT = 500;

/** The paging parameters of one list request. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

const pass = <T>(value: T) => new Observable(Promise.resolve(value));

/** Per-request client options: abort with `signal`, plus optional headers. */
function clientOptions(
  signal: AbortSignal,
  headers: Record<string, string> = {},
): ConfigurationOptions {
  const abortable: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return pass(context);
    },
    post: (context: ResponseContext) => pass(context),
  };
  return {
    middleware: [
      abortable,
      ...Object.entries(headers).map(([key, value]) =>
        setHeaderMiddleware(key, value),
      ),
    ],
    // Keep the client's own middleware (none today) rather than replace it.
    middlewareMergeStrategy: 'append',
  };
}

/**
 * The way into the configured clusters: a KubeConfig per call with the
 * cluster's credentials (a serviceAccount token or an EKS token), and
 * {@link ClusterConnection.call}, which bounds each API call by the timeout
 * and turns failures into short typed errors. The gateway's operations all
 * go through it.
 */
export class ClusterConnection {
  private readonly clusters: Map<string, KubernetesClusterConfig>;
  private readonly tokens = new EksTokenProvider();
  private readonly assumed = new Map<string, AwsCredentialIdentity>();

  constructor(
    clusters: KubernetesClusterConfig[],
    private readonly credentialsManager: AwsCredentialsManager | undefined,
    private readonly timeoutMs: number,
  ) {
    this.clusters = new Map(clusters.map(c => [c.name, c]));
  }

  private async kubeConfig(
    name: string,
    operation: string,
    signal: AbortSignal,
  ): Promise<KubeConfig> {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new GatewayError({
        kind: 'unavailable',
        operation,
        message: `cluster "${name}" is not configured under kubernetes.clusterLocatorMethods (type: config)`,
      });
    }
    let token = cluster.serviceAccountToken;
    if (cluster.authProvider === 'aws') {
      if (!this.credentialsManager || !cluster.accountId || !cluster.region) {
        throw new GatewayError({
          kind: 'unavailable',
          operation,
          message: `cluster "${name}" uses authProvider aws but irsa.clusters has no accountId/region for it`,
        });
      }
      const { sdkCredentialProvider } =
        await this.credentialsManager.getCredentialProvider({
          accountId: cluster.accountId,
        });
      token = await this.tokens.token({
        accountId: cluster.accountId,
        clusterName: cluster.eksClusterName ?? name,
        region: cluster.region,
        assumeRole: cluster.assumeRole,
        credentials: cluster.assumeRole
          ? await this.assumedCredentials(
              cluster,
              sdkCredentialProvider,
              signal,
            )
          : sdkCredentialProvider,
      });
    }
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name,
          server: cluster.url,
          skipTLSVerify: Boolean(cluster.skipTLSVerify),
          caData:
            cluster.caData ??
            (cluster.caFile
              ? readFileSync(cluster.caFile).toString('base64')
              : undefined),
        },
      ],
      users: [{ name: 'backstage', token }],
      contexts: [{ name, cluster: name, user: 'backstage' }],
      currentContext: name,
    });
    return kc;
  }

  /**
   * Credentials of `kubernetes.io/aws-assume-role`, as the Kubernetes plugin
   * signs EKS tokens: assumed with the account's credentials and reused until
   * five minutes before they expire.
   */
  private async assumedCredentials(
    cluster: KubernetesClusterConfig,
    base: AwsCredentialIdentityProvider,
    signal: AbortSignal,
  ): Promise<AwsCredentialIdentity> {
    const key = JSON.stringify([
      cluster.accountId,
      cluster.assumeRole,
      cluster.externalId ?? '',
    ]);
    const cached = this.assumed.get(key);
    if (
      cached &&
      (cached.expiration?.getTime() ?? 0) - Date.now() > 5 * 60_000
    ) {
      return cached;
    }
    const sts = new STSClient({ region: cluster.region, credentials: base });
    let c;
    try {
      ({ Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: cluster.assumeRole,
          ExternalId: cluster.externalId,
          RoleSessionName: 'backstage-irsa',
          DurationSeconds: 900,
        }),
        { abortSignal: signal },
      ));
    } catch (error) {
      // An abort is the call's timeout or the caller's, reported by `call`.
      if (signal.aborted) throw error;
      throw toAwsGatewayError(error, 'sts:AssumeRole');
    }
    const credentials = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
      expiration: c?.Expiration,
    };
    this.assumed.set(key, credentials);
    return credentials;
  }

  /**
   * One API call: credentials, the timeout (and the caller's signal), typed
   * errors.
   */
  async call<T>(
    cluster: string,
    operation: string,
    fn: (kc: KubeConfig, options: ConfigurationOptions) => Promise<T>,
    extra: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<T> {
    declaredKubernetesRequest(operation);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = extra.signal
      ? AbortSignal.any([timeout, extra.signal])
      : timeout;
    // Steps that cannot take the signal (the credential provider) still
    // end the call on time: the race settles when the signal aborts.
    const abandoned = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason), {
        once: true,
      }),
    );
    try {
      signal.throwIfAborted();
      return await Promise.race([
        this.kubeConfig(cluster, operation, signal).then(kc =>
          fn(kc, clientOptions(signal, extra.headers)),
        ),
        abandoned,
      ]);
    } catch (error) {
      if (error instanceof GatewayError || error instanceof ApiException)
        throw toGatewayError(error, operation, cluster);
      if (timeout.aborted) {
        throw new GatewayError({
          kind: 'unavailable',
          operation,
          code: 'Timeout',
          message: `Kubernetes API of cluster ${cluster} did not answer within ${this.timeoutMs} ms`,
        });
      }
      if (extra.signal?.aborted) {
        throw new GatewayError({
          kind: 'unavailable',
          operation,
          code: 'Aborted',
          message: `the call to the Kubernetes API of cluster ${cluster} was cancelled`,
        });
      }
      throw toGatewayError(error, operation, cluster);
    }
  }

  /**
   * Every item of a list, page by page (`limit` and `continue`); each page is
   * one {@link ClusterConnection.call}, with its own timeout.
   */
  async listAll<T>(
    cluster: string,
    operation: string,
    fn: (
      kc: KubeConfig,
      options: ConfigurationOptions,
      page: ListPage,
    ) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
    extra: { signal?: AbortSignal } = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    do {
      const page: ListPage = { limit: LIST_PAGE_LIMIT, _continue: next };
      const list = await this.call(
        cluster,
        operation,
        (kc, options) => fn(kc, options, page),
        extra,
      );
      items.push(...list.items);
      next = list.metadata?._continue || undefined;
    } while (next);
    return items;
  }
}
