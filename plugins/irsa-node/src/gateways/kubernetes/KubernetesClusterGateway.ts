import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Config } from '@backstage/config';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
} from '@smithy/types';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { readFileSync } from 'node:fs';
import { GatewayError, type GatewayErrorKind } from '../errors';
import type { ClusterGateway, PodInfo, ServiceAccountInfo } from '../types';
import { EksTokenProvider } from './eksToken';

/** One cluster as the Kubernetes plugin's `clusterLocatorMethods` config describes it. */
export interface KubernetesClusterConfig {
  name: string;
  url: string;
  authProvider: 'aws' | 'serviceAccount';
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
  /** `kubernetes.io/x-k8s-aws-id`: the EKS cluster name in the token (default `name`). */
  eksClusterName?: string;
  /** Account and region for EKS tokens (from `irsa.clusters`). */
  accountId?: string;
  region?: string;
  /** `kubernetes.io/aws-assume-role`: the role EKS tokens are signed as. */
  assumeRole?: string;
  /** `kubernetes.io/aws-external-id` for that role. */
  externalId?: string;
}

const MAX_CONFLICT_RETRIES = 3;

/** Reads `kubernetes.clusterLocatorMethods[].clusters[]` of type `config`; errors name the key. */
export function readKubernetesClusters(
  config: Config,
): KubernetesClusterConfig[] {
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  const clusters: KubernetesClusterConfig[] = [];
  const irsaClusters = new Map(
    (config.getOptionalConfigArray('irsa.clusters') ?? []).map(c => [
      c.getString('name'),
      c,
    ]),
  );
  methods.forEach((method, m) => {
    if (method.getString('type') !== 'config') return;
    (method.getOptionalConfigArray('clusters') ?? []).forEach((c, i) => {
      const key = `kubernetes.clusterLocatorMethods[${m}].clusters[${i}]`;
      const name = c.getString('name');
      const authProvider = c.getString('authProvider');
      if (authProvider !== 'aws' && authProvider !== 'serviceAccount') {
        throw new Error(
          `${key}.authProvider: IRSA supports "aws" and "serviceAccount", got "${authProvider}"`,
        );
      }
      const irsa = irsaClusters.get(name);
      // authMetadata keys contain dots, so read the object as a whole.
      const metadata = (c.getOptional('authMetadata') ?? {}) as Record<
        string,
        string
      >;
      clusters.push({
        name,
        url: c.getString('url'),
        authProvider,
        serviceAccountToken: c.getOptionalString('serviceAccountToken'),
        caData: c.getOptionalString('caData'),
        caFile: c.getOptionalString('caFile'),
        skipTLSVerify: c.getOptionalBoolean('skipTLSVerify'),
        eksClusterName:
          metadata['kubernetes.io/x-k8s-aws-id'] ??
          irsa?.getOptionalString('eksClusterName') ??
          name,
        accountId: irsa?.getOptionalString('accountId'),
        region: irsa?.getOptionalString('region'),
        assumeRole: metadata['kubernetes.io/aws-assume-role'],
        externalId: metadata['kubernetes.io/aws-external-id'],
      });
      if (
        authProvider === 'serviceAccount' &&
        !clusters.at(-1)!.serviceAccountToken
      ) {
        throw new Error(
          `${key}.serviceAccountToken: is required with authProvider "serviceAccount"`,
        );
      }
    });
  });
  return clusters;
}

function kindOf(status: number): GatewayErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'access-denied';
  if (status === 422 || status === 400) return 'invalid-input';
  if (status === 429) return 'throttled';
  return 'unavailable';
}

function toGatewayError(error: unknown, operation: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ApiException) {
    const body =
      typeof error.body === 'string' ? safeJson(error.body) : error.body;
    return new GatewayError({
      kind: kindOf(error.code),
      operation,
      code: String(error.code),
      message: (body as { message?: string })?.message ?? `HTTP ${error.code}`,
      requestId: error.headers?.['audit-id'],
    });
  }
  return new GatewayError({
    kind: 'unavailable',
    operation,
    message: (error as Error)?.message ?? String(error),
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function serviceAccountInfo(sa: V1ServiceAccount): ServiceAccountInfo {
  return {
    namespace: sa.metadata?.namespace ?? '',
    name: sa.metadata?.name ?? '',
    uid: sa.metadata?.uid ?? '',
    resourceVersion: sa.metadata?.resourceVersion ?? '',
    creationTimestamp: sa.metadata?.creationTimestamp
      ? new Date(sa.metadata.creationTimestamp).toISOString()
      : '',
    annotations: { ...sa.metadata?.annotations },
    labels: { ...sa.metadata?.labels },
  };
}

function podInfo(pod: V1Pod): PodInfo {
  const projected = (pod.spec?.volumes ?? [])
    .flatMap(v =>
      (v.projected?.sources ?? []).map(s => ({
        volume: v.name,
        token: s.serviceAccountToken,
      })),
    )
    .find(
      s =>
        s.token &&
        s.token.audience !== undefined &&
        s.volume !== 'kube-api-access',
    );
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    creationTimestamp: pod.metadata?.creationTimestamp
      ? new Date(pod.metadata.creationTimestamp).toISOString()
      : '',
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    annotations: { ...pod.metadata?.annotations },
    containers: (pod.spec?.containers ?? []).map(c => ({
      name: c.name,
      env: Object.fromEntries((c.env ?? []).map(e => [e.name, e.value])),
      volumeMountPaths: (c.volumeMounts ?? []).map(m => m.mountPath),
    })),
    ...(projected?.token
      ? {
          projectedToken: {
            volumeName: projected.volume,
            audience: projected.token.audience,
            path: projected.token.path,
          },
        }
      : {}),
  };
}

/**
 * The ClusterGateway on @kubernetes/client-node, for clusters configured as
 * the Kubernetes plugin configures them (serviceAccount tokens or EKS tokens
 * presigned with the account's AWS credentials).
 */
export class KubernetesClusterGateway implements ClusterGateway {
  private readonly clusters: Map<string, KubernetesClusterConfig>;
  private readonly tokens = new EksTokenProvider();
  private readonly assumed = new Map<string, AwsCredentialIdentity>();

  constructor(
    clusters: KubernetesClusterConfig[],
    private readonly credentialsManager?: AwsCredentialsManager,
  ) {
    this.clusters = new Map(clusters.map(c => [c.name, c]));
  }

  private async api(name: string, operation: string): Promise<CoreV1Api> {
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
        clusterName: cluster.eksClusterName ?? name,
        region: cluster.region,
        credentials: cluster.assumeRole
          ? await this.assumedCredentials(cluster, sdkCredentialProvider)
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
    return kc.makeApiClient(CoreV1Api);
  }

  /**
   * Credentials of `kubernetes.io/aws-assume-role`, as the Kubernetes plugin
   * signs EKS tokens: assumed with the account's credentials and reused until
   * five minutes before they expire.
   */
  private async assumedCredentials(
    cluster: KubernetesClusterConfig,
    base: AwsCredentialIdentityProvider,
  ): Promise<AwsCredentialIdentity> {
    const cached = this.assumed.get(cluster.name);
    if (
      cached &&
      (cached.expiration?.getTime() ?? 0) - Date.now() > 5 * 60_000
    ) {
      return cached;
    }
    const sts = new STSClient({ region: cluster.region, credentials: base });
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: cluster.assumeRole,
        ExternalId: cluster.externalId,
        RoleSessionName: 'backstage-irsa',
        DurationSeconds: 900,
      }),
    );
    const credentials = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
      expiration: c?.Expiration,
    };
    this.assumed.set(cluster.name, credentials);
    return credentials;
  }

  private async call<T>(
    cluster: string,
    operation: string,
    fn: (api: CoreV1Api) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(await this.api(cluster, operation));
    } catch (error) {
      throw toGatewayError(error, operation);
    }
  }

  async getServiceAccount(cluster: string, namespace: string, name: string) {
    try {
      return serviceAccountInfo(
        await this.call(cluster, 'k8s:get serviceaccounts', api =>
          api.readNamespacedServiceAccount({ name, namespace }),
        ),
      );
    } catch (error) {
      if (error instanceof GatewayError && error.kind === 'not-found')
        return undefined;
      throw error;
    }
  }

  async createServiceAccount(
    cluster: string,
    input: {
      namespace: string;
      name: string;
      annotations: Record<string, string>;
      labels?: Record<string, string>;
    },
  ) {
    const created = await this.call(
      cluster,
      'k8s:create serviceaccounts',
      api =>
        api.createNamespacedServiceAccount({
          namespace: input.namespace,
          body: {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: {
              name: input.name,
              namespace: input.namespace,
              annotations: input.annotations,
              labels: input.labels,
            },
          },
        }),
    );
    return serviceAccountInfo(created);
  }

  /**
   * A JSON merge patch of the annotations only, guarded by resourceVersion so
   * a concurrent writer is never overwritten; a 409 re-reads and retries.
   */
  async patchServiceAccountAnnotations(
    cluster: string,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ) {
    const operation = 'k8s:patch serviceaccounts';
    for (let attempt = 1; ; attempt++) {
      const current = await this.call(cluster, 'k8s:get serviceaccounts', api =>
        api.readNamespacedServiceAccount({ name, namespace }),
      );
      try {
        const patched = await this.call(cluster, operation, api =>
          api.patchNamespacedServiceAccount(
            {
              name,
              namespace,
              body: {
                metadata: {
                  resourceVersion: current.metadata?.resourceVersion,
                  annotations,
                },
              },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
        return serviceAccountInfo(patched);
      } catch (error) {
        if (
          !(error instanceof GatewayError && error.kind === 'conflict') ||
          attempt >= MAX_CONFLICT_RETRIES
        )
          throw error;
      }
    }
  }

  async listPodsForServiceAccount(
    cluster: string,
    namespace: string,
    serviceAccount: string,
  ) {
    const pods: PodInfo[] = [];
    const page = (token?: string) =>
      this.call(cluster, 'k8s:list pods', api =>
        api.listNamespacedPod({
          namespace,
          fieldSelector: `spec.serviceAccountName=${serviceAccount}`,
          limit: 100,
          _continue: token,
        }),
      );
    for (
      let list = await page();
      ;
      list = await page(list.metadata!._continue)
    ) {
      pods.push(...list.items.map(podInfo));
      if (!list.metadata?._continue) return pods;
    }
  }

  async requestServiceAccountToken(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: { audience: string; expirationSeconds: number },
  ) {
    const response = await this.call(
      cluster,
      'k8s:create serviceaccounts/token',
      api =>
        api.createNamespacedServiceAccountToken({
          name: serviceAccount,
          namespace,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: [options.audience],
              expirationSeconds: options.expirationSeconds,
            },
          },
        }),
    );
    return {
      token: response.status?.token ?? '',
      expirationTimestamp: response.status?.expirationTimestamp
        ? new Date(response.status.expirationTimestamp).toISOString()
        : '',
    };
  }
}
