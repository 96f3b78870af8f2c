import { randomUUID } from 'node:crypto';
import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  STS_AUDIENCE,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  ClusterGateway,
  PodInfo,
  ServiceAccountInfo,
  ServiceAccountToken,
} from '../gateways/types';
import { sandboxError, type SandboxCluster, SandboxState } from './state';

/** Where the EKS pod identity webhook mounts the projected token. */
export const WEB_IDENTITY_TOKEN_FILE =
  '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';

const clone = <T>(value: T): T => structuredClone(value);

/** The Kubernetes API of the sandbox clusters, with an EKS pod identity webhook. */
export class SandboxClusterGateway implements ClusterGateway {
  constructor(private readonly state: SandboxState) {}

  private cluster(name: string, operation: string): SandboxCluster {
    const cluster = this.state.clusters.get(name);
    if (!cluster) {
      throw sandboxError(
        'unavailable',
        operation,
        'UnknownCluster',
        `No sandbox cluster named "${name}"`,
      );
    }
    return cluster;
  }

  async getServiceAccount(cluster: string, namespace: string, name: string) {
    const account = this.cluster(
      cluster,
      'k8s:get serviceaccounts',
    ).serviceAccounts.get(`${namespace}/${name}`);
    return account ? clone(account) : undefined;
  }

  async createServiceAccount(
    cluster: string,
    input: {
      namespace: string;
      name: string;
      annotations: Record<string, string>;
      labels?: Record<string, string>;
    },
  ): Promise<ServiceAccountInfo> {
    const state = this.cluster(cluster, 'k8s:create serviceaccounts');
    const key = `${input.namespace}/${input.name}`;
    if (state.serviceAccounts.has(key)) {
      throw sandboxError(
        'already-exists',
        'k8s:create serviceaccounts',
        '409',
        `serviceaccounts "${input.name}" already exists`,
      );
    }
    const account: ServiceAccountInfo = {
      namespace: input.namespace,
      name: input.name,
      uid: randomUUID(),
      resourceVersion: '1',
      creationTimestamp: this.state.isoNow(),
      annotations: { ...input.annotations },
      labels: { ...input.labels },
    };
    state.serviceAccounts.set(key, account);
    return clone(account);
  }

  async patchServiceAccountAnnotations(
    cluster: string,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<ServiceAccountInfo> {
    const account = this.cluster(
      cluster,
      'k8s:patch serviceaccounts',
    ).serviceAccounts.get(`${namespace}/${name}`);
    if (!account) {
      throw sandboxError(
        'not-found',
        'k8s:patch serviceaccounts',
        '404',
        `serviceaccounts "${name}" not found`,
      );
    }
    // JSON merge patch semantics: null removes a key, other keys stay.
    for (const [key, value] of Object.entries(annotations)) {
      if (value === null) delete account.annotations[key];
      else account.annotations[key] = value;
    }
    account.resourceVersion = String(Number(account.resourceVersion) + 1);
    return clone(account);
  }

  async listPodsForServiceAccount(
    cluster: string,
    namespace: string,
    serviceAccount: string,
  ): Promise<PodInfo[]> {
    return clone(
      this.cluster(cluster, 'k8s:list pods').pods.filter(
        p =>
          p.namespace === namespace && p.serviceAccountName === serviceAccount,
      ),
    );
  }

  async requestServiceAccountToken(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: { audience: string; expirationSeconds: number },
  ): Promise<ServiceAccountToken> {
    const operation = 'k8s:create serviceaccounts/token';
    const state = this.cluster(cluster, operation);
    if (!state.serviceAccounts.has(`${namespace}/${serviceAccount}`)) {
      throw sandboxError(
        'not-found',
        operation,
        '404',
        `serviceaccounts "${serviceAccount}" not found`,
      );
    }
    if (options.expirationSeconds < 600) {
      throw sandboxError(
        'invalid-input',
        operation,
        '422',
        'spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes',
      );
    }
    const now = this.state.now();
    const exp = Math.floor(now.getTime() / 1000) + options.expirationSeconds;
    return {
      token: this.state.tokens.mint({
        iss: `https://${state.issuer}`,
        sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
        aud: [options.audience],
        iat: Math.floor(now.getTime() / 1000),
        exp,
      }),
      expirationTimestamp: new Date(exp * 1000).toISOString(),
    };
  }

  /**
   * Creates a pod as the API server would after the EKS pod identity webhook:
   * the role ARN is read from the ServiceAccount NOW, so annotating the
   * ServiceAccount later leaves this pod without credentials until restarted.
   */
  createPod(
    cluster: string,
    namespace: string,
    pod: { name: string; serviceAccountName: string },
  ): PodInfo {
    const state = this.cluster(cluster, 'k8s:create pods');
    const account = state.serviceAccounts.get(
      `${namespace}/${pod.serviceAccountName}`,
    );
    const roleArn = account?.annotations[EKS_ROLE_ARN_ANNOTATION];
    const env: Record<string, string | undefined> = {};
    const mounts: string[] = [];
    let projectedToken: PodInfo['projectedToken'];
    if (roleArn) {
      Object.assign(env, {
        AWS_ROLE_ARN: roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: WEB_IDENTITY_TOKEN_FILE,
        AWS_STS_REGIONAL_ENDPOINTS: 'regional',
        AWS_REGION: state.region,
        AWS_DEFAULT_REGION: state.region,
      });
      mounts.push('/var/run/secrets/eks.amazonaws.com/serviceaccount');
      projectedToken = {
        volumeName: 'aws-iam-token',
        audience: account?.annotations[EKS_AUDIENCE_ANNOTATION] ?? STS_AUDIENCE,
        path: 'token',
      };
    }
    const created: PodInfo = {
      namespace,
      name: pod.name,
      uid: randomUUID(),
      phase: 'Running',
      creationTimestamp: this.state.isoNow(),
      serviceAccountName: pod.serviceAccountName,
      annotations: {},
      containers: [{ name: 'app', env, volumeMountPaths: mounts }],
      projectedToken,
    };
    state.pods.push(created);
    return clone(created);
  }

  /** `kubectl rollout restart`: the ServiceAccount's pods are recreated (and re-injected). */
  restartPods(
    cluster: string,
    namespace: string,
    serviceAccountName: string,
  ): PodInfo[] {
    const state = this.cluster(cluster, 'k8s:delete pods');
    const old = state.pods.filter(
      p =>
        p.namespace === namespace &&
        p.serviceAccountName === serviceAccountName,
    );
    state.pods = state.pods.filter(p => !old.includes(p));
    return old.map(p =>
      this.createPod(cluster, namespace, {
        name: `${p.name.replace(/-[a-z0-9]{5}$/, '')}-${randomUUID().slice(0, 5)}`,
        serviceAccountName,
      }),
    );
  }
}
