import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  Observable,
  PatchStrategy,
  setHeaderMiddleware,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1OwnerReference,
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
import { STS_AUDIENCE } from '@backstage-irsa/plugin-irsa-common';
import { readFileSync } from 'node:fs';
import { toGatewayError as toAwsGatewayError } from '../aws/errors';
import { GatewayError, type GatewayErrorKind } from '../errors';
import type {
  AccessCheck,
  AccessReviewResult,
  ClusterGateway,
  CreateServiceAccountInput,
  PodInfo,
  PodOwner,
  ServiceAccountInfo,
  ServiceAccountMetadataPatch,
  ServiceAccountTokenRequest,
  WorkloadRef,
} from '../types';
import { describeRestart, RESTARTED_AT_ANNOTATION } from '../workloads';
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

/** Options of {@link KubernetesClusterGateway}. */
export interface KubernetesClusterGatewayOptions {
  /** Per-call timeout in milliseconds (`irsa.kubernetes.timeoutMs`). Default 10000. */
  timeoutMs?: number;
}

/** The per-call timeout when `irsa.kubernetes.timeoutMs` is not set. */
export const DEFAULT_KUBERNETES_TIMEOUT_MS = 10_000;

const MAX_CONFLICT_RETRIES = 3;
/** Status messages are short in practice; a longer one is cut, never echoed whole. */
const MAX_MESSAGE_LENGTH = 300;

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

/**
 * An API server or network failure as a GatewayError with a short message:
 * the `message` of the API's Status object (never a raw body or headers), or
 * the HTTP status; for network failures only the error code.
 */
function toGatewayError(
  error: unknown,
  operation: string,
  cluster: string,
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ApiException) {
    return new GatewayError({
      kind: kindOf(error.code),
      operation,
      code: String(error.code),
      message:
        statusMessage(error.body) ??
        (error.code === 401
          ? "HTTP 401: the API server did not accept Backstage's credentials"
          : `HTTP ${error.code}`),
      requestId: error.headers?.['audit-id'],
    });
  }
  const failure = error as { code?: unknown; name?: unknown } | undefined;
  let reason = 'Error';
  if (typeof failure?.code === 'string') reason = failure.code;
  else if (typeof failure?.name === 'string') reason = failure.name;
  return new GatewayError({
    kind: 'unavailable',
    operation,
    code: reason,
    message: `Kubernetes API of cluster ${cluster} could not be called (${reason})`,
  });
}

/** The `message` of a Kubernetes Status object, if the body is one. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = parsed as { kind?: unknown; message?: unknown } | undefined;
  if (status?.kind !== 'Status' || typeof status.message !== 'string')
    return undefined;
  return status.message.length > MAX_MESSAGE_LENGTH
    ? `${status.message.slice(0, MAX_MESSAGE_LENGTH)}…`
    : status.message;
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

/** The controller among an object's owner references (the first owner when none is marked). */
function controllerOf(
  references: V1OwnerReference[] | undefined,
): WorkloadRef | undefined {
  const owner = references?.find(r => r.controller === true) ?? references?.[0];
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

/**
 * The ClusterGateway on @kubernetes/client-node, for clusters configured as
 * the Kubernetes plugin configures them (serviceAccount tokens or EKS tokens
 * presigned with the account's AWS credentials). Every call is bounded by the
 * configured timeout and fails with a short typed error.
 */
export class KubernetesClusterGateway implements ClusterGateway {
  private readonly clusters: Map<string, KubernetesClusterConfig>;
  private readonly tokens = new EksTokenProvider();
  private readonly assumed = new Map<string, AwsCredentialIdentity>();
  private readonly timeoutMs: number;

  constructor(
    clusters: KubernetesClusterConfig[],
    private readonly credentialsManager?: AwsCredentialsManager,
    options: KubernetesClusterGatewayOptions = {},
  ) {
    this.clusters = new Map(clusters.map(c => [c.name, c]));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS;
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
  private async call<T>(
    cluster: string,
    operation: string,
    fn: (kc: KubeConfig, options: ConfigurationOptions) => Promise<T>,
    extra: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<T> {
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

  private readServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1ServiceAccount> {
    return this.call(cluster, 'k8s:get serviceaccounts', (kc, request) =>
      kc
        .makeApiClient(CoreV1Api)
        .readNamespacedServiceAccount({ name, namespace }, request),
    );
  }

  async reviewAccess(
    cluster: string,
    checks: AccessCheck[],
    options: { signal?: AbortSignal } = {},
  ): Promise<AccessReviewResult[]> {
    return Promise.all(
      checks.map(async check => {
        const review = await this.call(
          cluster,
          'k8s:create selfsubjectaccessreviews',
          (kc, request) =>
            kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview(
              {
                body: {
                  apiVersion: 'authorization.k8s.io/v1',
                  kind: 'SelfSubjectAccessReview',
                  spec: {
                    resourceAttributes: {
                      namespace: check.namespace,
                      verb: check.verb,
                      resource: check.resource,
                      subresource: check.subresource,
                      group: check.group ?? '',
                    },
                  },
                },
              },
              request,
            ),
          { signal: options.signal },
        );
        // `denied` wins over `allowed` when an authorizer says both.
        const allowed =
          review.status?.allowed === true && review.status.denied !== true;
        const reason =
          review.status?.reason || review.status?.evaluationError || undefined;
        return {
          verb: check.verb,
          resource: check.resource,
          ...(check.subresource !== undefined
            ? { subresource: check.subresource }
            : {}),
          namespace: check.namespace,
          ...(check.group !== undefined ? { group: check.group } : {}),
          allowed,
          ...(reason ? { reason } : {}),
        };
      }),
    );
  }

  async getServiceAccount(cluster: string, namespace: string, name: string) {
    try {
      return serviceAccountInfo(
        await this.readServiceAccount(cluster, namespace, name),
      );
    } catch (error) {
      if (error instanceof GatewayError && error.kind === 'not-found')
        return undefined;
      throw error;
    }
  }

  async createServiceAccount(
    cluster: string,
    input: CreateServiceAccountInput,
  ) {
    const created = await this.call(
      cluster,
      'k8s:create serviceaccounts',
      (kc, request) =>
        kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount(
          {
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
          },
          request,
        ),
    ).catch(error => {
      // The API answers an existing name with 409 AlreadyExists.
      if (error instanceof GatewayError && error.kind === 'conflict') {
        throw new GatewayError({
          kind: 'already-exists',
          operation: error.operation,
          code: error.code,
          requestId: error.requestId,
          message: `serviceaccounts "${input.name}" already exists in namespace ${input.namespace}`,
        });
      }
      throw error;
    });
    return serviceAccountInfo(created);
  }

  /**
   * A JSON merge patch of annotations and labels only, guarded by
   * resourceVersion so a concurrent writer is never overwritten. Without an
   * expected version a 409 re-reads and retries; with one, it is thrown.
   */
  async patchServiceAccountMetadata(
    cluster: string,
    namespace: string,
    name: string,
    patch: ServiceAccountMetadataPatch,
    options: { expectedResourceVersion?: string } = {},
  ) {
    const operation = 'k8s:patch serviceaccounts';
    if (!patch.annotations && !patch.labels) {
      throw new GatewayError({
        kind: 'invalid-input',
        operation,
        message: 'patch: give annotations or labels to change',
      });
    }
    const expected = options.expectedResourceVersion;
    for (let attempt = 1; ; attempt++) {
      const resourceVersion =
        expected ??
        (await this.readServiceAccount(cluster, namespace, name)).metadata
          ?.resourceVersion;
      try {
        const patched = await this.call(
          cluster,
          operation,
          (kc, request) =>
            kc.makeApiClient(CoreV1Api).patchNamespacedServiceAccount(
              {
                name,
                namespace,
                body: {
                  metadata: {
                    resourceVersion,
                    ...(patch.annotations
                      ? { annotations: patch.annotations }
                      : {}),
                    ...(patch.labels ? { labels: patch.labels } : {}),
                  },
                },
              },
              request,
            ),
          { headers: { 'Content-Type': PatchStrategy.MergePatch } },
        );
        return serviceAccountInfo(patched);
      } catch (error) {
        if (!(error instanceof GatewayError && error.kind === 'conflict'))
          throw error;
        if (expected !== undefined) {
          throw new GatewayError({
            kind: 'conflict',
            operation,
            code: error.code,
            requestId: error.requestId,
            message: `serviceaccounts "${name}" in namespace ${namespace} changed since resourceVersion ${expected} was read`,
          });
        }
        if (attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  /**
   * DELETE with `preconditions.resourceVersion`: the API server refuses
   * with 409 when the ServiceAccount changed since it was read.
   */
  async deleteServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
    options: { expectedResourceVersion: string },
  ): Promise<void> {
    const operation = 'k8s:delete serviceaccounts';
    try {
      await this.call(cluster, operation, (kc, request) =>
        kc.makeApiClient(CoreV1Api).deleteNamespacedServiceAccount(
          {
            name,
            namespace,
            body: {
              preconditions: {
                resourceVersion: options.expectedResourceVersion,
              },
            },
          },
          request,
        ),
      );
    } catch (error) {
      if (!(error instanceof GatewayError && error.kind === 'conflict'))
        throw error;
      throw new GatewayError({
        kind: 'conflict',
        operation,
        code: error.code,
        requestId: error.requestId,
        message: `serviceaccounts "${name}" in namespace ${namespace} changed since resourceVersion ${options.expectedResourceVersion} was read`,
      });
    }
  }

  async patchServiceAccountAnnotations(
    cluster: string,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ) {
    return this.patchServiceAccountMetadata(cluster, namespace, name, {
      annotations,
    });
  }

  async listPodsForServiceAccount(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: { signal?: AbortSignal } = {},
  ) {
    const pods: PodInfo[] = [];
    const page = (token?: string) =>
      this.call(
        cluster,
        'k8s:list pods',
        (kc, request) =>
          kc.makeApiClient(CoreV1Api).listNamespacedPod(
            {
              namespace,
              fieldSelector: `spec.serviceAccountName=${serviceAccount}`,
              limit: 100,
              _continue: token,
            },
            request,
          ),
        { signal: options.signal },
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
    options: ServiceAccountTokenRequest,
  ) {
    const operation = 'k8s:create serviceaccounts/token';
    if (options.audience === '') {
      throw new GatewayError({
        kind: 'invalid-input',
        operation,
        message: 'audience: must not be empty (omit it for sts.amazonaws.com)',
      });
    }
    const response = await this.call(
      cluster,
      operation,
      (kc, request) =>
        kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken(
          {
            name: serviceAccount,
            namespace,
            body: {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: {
                audiences: [options.audience ?? STS_AUDIENCE],
                expirationSeconds: options.expirationSeconds,
              },
            },
          },
          request,
        ),
      { signal: options.signal },
    );
    return {
      token: response.status?.token ?? '',
      expirationTimestamp: response.status?.expirationTimestamp
        ? new Date(response.status.expirationTimestamp).toISOString()
        : '',
    };
  }

  async resolvePodOwners(
    cluster: string,
    namespace: string,
    podNames: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<PodOwner[]> {
    const pods = await Promise.all(
      podNames.map(name =>
        this.call(
          cluster,
          'k8s:get pods',
          (kc, request) =>
            kc
              .makeApiClient(CoreV1Api)
              .readNamespacedPod({ name, namespace }, request),
          { signal: options.signal },
        ).catch(error => {
          if (error instanceof GatewayError && error.kind === 'not-found')
            return undefined;
          throw error;
        }),
      ),
    );
    // Pods of one Deployment share a ReplicaSet: read each one once.
    const replicaSets = new Map<string, Promise<WorkloadRef>>();
    const deploymentOf = (name: string) => {
      let owner = replicaSets.get(name);
      if (!owner) {
        owner = this.call(
          cluster,
          'k8s:get replicasets',
          (kc, request) =>
            kc
              .makeApiClient(AppsV1Api)
              .readNamespacedReplicaSet({ name, namespace }, request),
          { signal: options.signal },
        ).then(
          rs =>
            // A ReplicaSet nobody controls is the workload itself.
            controllerOf(rs.metadata?.ownerReferences) ?? {
              kind: 'ReplicaSet',
              name,
            },
        );
        replicaSets.set(name, owner);
      }
      return owner;
    };
    return Promise.all(
      podNames.map(async (name, i): Promise<PodOwner> => {
        const pod = pods[i];
        if (!pod) return { pod: name, found: false };
        const direct = controllerOf(pod.metadata?.ownerReferences);
        const owner =
          direct?.kind === 'ReplicaSet'
            ? await deploymentOf(direct.name)
            : direct;
        return {
          pod: name,
          found: true,
          serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
          ...(owner ? { owner } : {}),
        };
      }),
    );
  }

  async restartWorkload(
    cluster: string,
    namespace: string,
    workload: WorkloadRef,
  ): Promise<{ restartedAt: string }> {
    const { operation, refusal } = describeRestart(workload);
    if (refusal) {
      throw new GatewayError({
        kind: 'invalid-input',
        operation,
        message: refusal,
      });
    }
    const restartedAt = new Date().toISOString();
    const param = {
      name: workload.name,
      namespace,
      body: {
        spec: {
          template: {
            metadata: {
              annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt },
            },
          },
        },
      },
    };
    await this.call(
      cluster,
      operation,
      (kc, request) => {
        const apps = kc.makeApiClient(AppsV1Api);
        if (workload.kind === 'Deployment')
          return apps.patchNamespacedDeployment(param, request);
        if (workload.kind === 'StatefulSet')
          return apps.patchNamespacedStatefulSet(param, request);
        return apps.patchNamespacedDaemonSet(param, request);
      },
      { headers: { 'Content-Type': PatchStrategy.MergePatch } },
    );
    return { restartedAt };
  }
}
