import { randomUUID } from 'node:crypto';
import { STS_AUDIENCE } from '@backstage-irsa/plugin-irsa-common';
import {
  describeRestart,
  type AccessCheck,
  type AccessReviewResult,
  type ClusterGateway,
  type CreateServiceAccountInput,
  type DaemonSetInfo,
  type PodInfo,
  type PodOwner,
  type ServiceAccountInfo,
  type ServiceAccountMetadataPatch,
  type ServiceAccountToken,
  type ServiceAccountTokenRequest,
  type WorkloadRef,
} from '@backstage-irsa/plugin-irsa-node';
import { invalidLabel } from './labels';
import { SandboxRbac, type SandboxDeniedAccess } from './SandboxRbac';
import {
  admitPod,
  type SandboxPodOwner,
  type SandboxPodSpec,
} from './podWebhook';
import {
  associationFor,
  sandboxError,
  type SandboxCluster,
  SandboxState,
} from './state';

export type { SandboxDeniedAccess } from './SandboxRbac';
export type {
  SandboxPodOwner,
  SandboxPodSpec,
  SandboxSecretKeyRef,
} from './podWebhook';

/** The caller gave up: refuse before touching state, as an aborted request would. */
function throwIfAborted(signal: AbortSignal | undefined, operation: string) {
  if (signal?.aborted) {
    throw sandboxError(
      'unavailable',
      operation,
      'Aborted',
      'the call to the Kubernetes API was cancelled',
    );
  }
}

const clone = <T>(value: T): T => structuredClone(value);

/** Five characters like the suffixes the Kubernetes controllers generate. */
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 5);

/** The Kubernetes API of the sandbox clusters, with an EKS pod identity webhook. */
export class SandboxClusterGateway implements ClusterGateway {
  /** RBAC denials, set by tests through `denyAccess`. */
  private readonly rbac = new SandboxRbac();
  /** Each pod's controller (a ReplicaSet for a Deployment), by `cluster/namespace/pod`. */
  private readonly controllers = new Map<string, WorkloadRef>();
  /** The Deployment of each ReplicaSet, by `cluster/namespace/replicaset`. */
  private readonly replicaSets = new Map<string, string>();
  /** Each Deployment's current ReplicaSet, by `cluster/namespace/deployment`. */
  private readonly currentReplicaSets = new Map<string, string>();
  /** The workloads that exist, by `cluster/namespace/Kind/name`. */
  private readonly workloads = new Set<string>();
  /** What each pod's manifest set (replacements keep it), by `cluster/namespace/pod`. */
  private readonly manifests = new Map<string, SandboxPodSpec>();

  constructor(private readonly state: SandboxState) {}

  /** From now on the cluster's API server refuses this right to Backstage. */
  denyAccess(cluster: string, access: SandboxDeniedAccess): void {
    this.cluster(cluster, 'sandbox:denyAccess');
    this.rbac.deny(cluster, access);
  }

  /** Lifts denials made with `denyAccess` that match `access` exactly. */
  allowAccess(cluster: string, access: SandboxDeniedAccess): void {
    this.rbac.allow(cluster, access);
  }

  /**
   * The cluster's state once the call may go on: the cluster exists, the
   * caller has not given up, and RBAC allows `check`.
   */
  private authorized(
    cluster: string,
    operation: string,
    check: AccessCheck & { name?: string },
    signal?: AbortSignal,
  ): SandboxCluster {
    const state = this.cluster(cluster, operation);
    throwIfAborted(signal, operation);
    this.rbac.authorize(cluster, operation, check);
    return state;
  }

  /**
   * The ServiceAccount as stored (`not-found` when absent); with
   * `expectedResourceVersion`, `conflict` unless it is still at that version.
   */
  private existingAccount(
    state: SandboxCluster,
    operation: string,
    namespace: string,
    name: string,
    expectedResourceVersion?: string,
  ): ServiceAccountInfo {
    const account = state.serviceAccounts.get(`${namespace}/${name}`);
    if (!account) {
      throw sandboxError(
        'not-found',
        operation,
        '404',
        `serviceaccounts "${name}" not found`,
      );
    }
    if (
      expectedResourceVersion !== undefined &&
      expectedResourceVersion !== account.resourceVersion
    ) {
      throw sandboxError(
        'conflict',
        operation,
        '409',
        `serviceaccounts "${name}" in namespace ${namespace} changed since resourceVersion ${expectedResourceVersion} was read`,
      );
    }
    return account;
  }

  async reviewAccess(
    cluster: string,
    checks: AccessCheck[],
    options: { signal?: AbortSignal } = {},
  ): Promise<AccessReviewResult[]> {
    const operation = 'k8s:create selfsubjectaccessreviews';
    this.cluster(cluster, operation);
    throwIfAborted(options.signal, operation);
    // Like RBAC, a denial carries no reason.
    return checks.map(check => ({
      ...clone(check),
      allowed: !this.rbac.isDenied(cluster, check),
    }));
  }

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
    const state = this.authorized(cluster, 'k8s:get serviceaccounts', {
      verb: 'get',
      resource: 'serviceaccounts',
      namespace,
      name,
    });
    const account = state.serviceAccounts.get(`${namespace}/${name}`);
    return account ? clone(account) : undefined;
  }

  async createServiceAccount(
    cluster: string,
    input: CreateServiceAccountInput,
  ): Promise<ServiceAccountInfo> {
    const operation = 'k8s:create serviceaccounts';
    const state = this.authorized(cluster, operation, {
      verb: 'create',
      resource: 'serviceaccounts',
      namespace: input.namespace,
    });
    const labelError = invalidLabel(input.labels ?? {});
    if (labelError)
      throw sandboxError('invalid-input', operation, '422', labelError);
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

  async patchServiceAccountMetadata(
    cluster: string,
    namespace: string,
    name: string,
    patch: ServiceAccountMetadataPatch,
    options: { expectedResourceVersion?: string } = {},
  ): Promise<ServiceAccountInfo> {
    const operation = 'k8s:patch serviceaccounts';
    const state = this.cluster(cluster, operation);
    if (!patch.annotations && !patch.labels) {
      throw sandboxError(
        'invalid-input',
        operation,
        'InvalidInput',
        'patch: give annotations or labels to change',
      );
    }
    // The real gateway reads before it patches unless given the version.
    if (options.expectedResourceVersion === undefined) {
      this.rbac.authorize(cluster, 'k8s:get serviceaccounts', {
        verb: 'get',
        resource: 'serviceaccounts',
        namespace,
        name,
      });
    }
    this.rbac.authorize(cluster, operation, {
      verb: 'patch',
      resource: 'serviceaccounts',
      namespace,
      name,
    });
    const account = this.existingAccount(
      state,
      operation,
      namespace,
      name,
      options.expectedResourceVersion,
    );
    const labelError = invalidLabel(patch.labels ?? {});
    if (labelError)
      throw sandboxError('invalid-input', operation, '422', labelError);
    // JSON merge patch semantics: null removes a key, other keys stay.
    const merge = (
      into: Record<string, string>,
      changes: Record<string, string | null> = {},
    ) => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete into[key];
        else into[key] = value;
      }
    };
    merge(account.annotations, patch.annotations);
    merge(account.labels, patch.labels);
    account.resourceVersion = String(Number(account.resourceVersion) + 1);
    return clone(account);
  }

  async deleteServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
    options: { expectedResourceVersion: string },
  ): Promise<void> {
    const operation = 'k8s:delete serviceaccounts';
    const state = this.authorized(cluster, operation, {
      verb: 'delete',
      resource: 'serviceaccounts',
      namespace,
      name,
    });
    this.existingAccount(
      state,
      operation,
      namespace,
      name,
      options.expectedResourceVersion,
    );
    // Like the API server: running pods of the ServiceAccount stay.
    state.serviceAccounts.delete(`${namespace}/${name}`);
  }

  async patchServiceAccountAnnotations(
    cluster: string,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<ServiceAccountInfo> {
    return this.patchServiceAccountMetadata(cluster, namespace, name, {
      annotations,
    });
  }

  async listServiceAccounts(
    cluster: string,
    namespace: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ServiceAccountInfo[]> {
    const state = this.authorized(
      cluster,
      'k8s:list serviceaccounts',
      { verb: 'list', resource: 'serviceaccounts', namespace },
      options.signal,
    );
    return clone(
      [...state.serviceAccounts.values()].filter(
        a => a.namespace === namespace,
      ),
    );
  }

  async listPods(
    cluster: string,
    namespace: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<PodInfo[]> {
    const state = this.authorized(
      cluster,
      'k8s:list pods',
      { verb: 'list', resource: 'pods', namespace },
      options.signal,
    );
    return clone(state.pods.filter(p => p.namespace === namespace));
  }

  async listPodsForServiceAccount(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<PodInfo[]> {
    return (await this.listPods(cluster, namespace, options)).filter(
      p => p.serviceAccountName === serviceAccount,
    );
  }

  async getDaemonSet(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<DaemonSetInfo | undefined> {
    const state = this.authorized(cluster, 'k8s:get daemonsets', {
      verb: 'get',
      resource: 'daemonsets',
      group: 'apps',
      namespace,
      name,
    });
    const daemonSet = state.daemonSets.get(`${namespace}/${name}`);
    return daemonSet ? clone(daemonSet) : undefined;
  }

  async requestServiceAccountToken(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: ServiceAccountTokenRequest,
  ): Promise<ServiceAccountToken> {
    const operation = 'k8s:create serviceaccounts/token';
    const state = this.cluster(cluster, operation);
    throwIfAborted(options.signal, operation);
    if (options.audience === '') {
      throw sandboxError(
        'invalid-input',
        operation,
        'InvalidInput',
        'audience: must not be empty (omit it for sts.amazonaws.com)',
      );
    }
    this.rbac.authorize(cluster, operation, {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
      namespace,
      name: serviceAccount,
    });
    const account = this.existingAccount(
      state,
      operation,
      namespace,
      serviceAccount,
    );
    if (options.expirationSeconds < 600) {
      throw sandboxError(
        'invalid-input',
        operation,
        '422',
        'spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes',
      );
    }
    const pod = options.boundPod
      ? this.boundPod(state, operation, namespace, account, options.boundPod)
      : undefined;
    return this.state.mintServiceAccountToken(state, account, {
      audience: options.audience ?? STS_AUDIENCE,
      expirationSeconds: options.expirationSeconds,
      pod,
    });
  }

  /**
   * The pod a TokenRequest binds to, checked as the API server checks a
   * `boundObjectRef`: it exists, has that uid and runs as the ServiceAccount.
   */
  private boundPod(
    state: SandboxCluster,
    operation: string,
    namespace: string,
    account: ServiceAccountInfo,
    bound: { name: string; uid: string },
  ): { name: string; uid: string } {
    const pod = state.pods.find(
      p => p.namespace === namespace && p.name === bound.name,
    );
    if (!pod) {
      throw sandboxError(
        'not-found',
        operation,
        '404',
        `pods "${bound.name}" not found`,
      );
    }
    if (pod.serviceAccountName !== account.name) {
      throw sandboxError(
        'invalid-input',
        operation,
        '400',
        `cannot bind token for serviceaccount "${account.name}" to pod running with different serviceaccount name.`,
      );
    }
    if (pod.uid !== bound.uid) {
      throw sandboxError(
        'conflict',
        operation,
        '409',
        `the UID in the bound object reference (${bound.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    return { name: pod.name, uid: pod.uid };
  }

  /**
   * Creates a pod as the API server would after the EKS pod identity webhook:
   * the role annotation and the Pod Identity association are read NOW, so
   * annotating or associating the ServiceAccount later leaves this pod
   * without credentials until restarted.
   */
  createPod(cluster: string, namespace: string, pod: SandboxPodSpec): PodInfo {
    const state = this.cluster(cluster, 'k8s:create pods');
    const owner =
      pod.owner === undefined
        ? { kind: 'Deployment' as const, name: pod.serviceAccountName }
        : pod.owner;
    if (owner) {
      this.workloads.add(`${cluster}/${namespace}/${owner.kind}/${owner.name}`);
      this.controllers.set(
        `${cluster}/${namespace}/${pod.name}`,
        owner.kind === 'Deployment'
          ? {
              kind: 'ReplicaSet',
              name: this.replicaSetFor(
                cluster,
                namespace,
                owner.name,
                pod.name,
              ),
            }
          : { ...owner },
      );
    }
    this.manifests.set(`${cluster}/${namespace}/${pod.name}`, {
      ...pod,
      owner,
    });
    const created: PodInfo = {
      namespace,
      name: pod.name,
      uid: randomUUID(),
      phase: 'Running',
      creationTimestamp: this.state.isoNow(),
      serviceAccountName: pod.serviceAccountName,
      ...admitPod(pod, {
        region: state.region,
        account: state.serviceAccounts.get(
          `${namespace}/${pod.serviceAccountName}`,
        ),
        associated:
          associationFor(state, namespace, pod.serviceAccountName) !==
          undefined,
      }),
    };
    state.pods.push(created);
    return clone(created);
  }

  /**
   * The Deployment's current ReplicaSet: the one the pod's name shows
   * (`<deployment>-<hash>-<suffix>`), else the one it has, else a new one.
   */
  private replicaSetFor(
    cluster: string,
    namespace: string,
    deployment: string,
    podName: string,
  ): string {
    const key = `${cluster}/${namespace}/${deployment}`;
    const fromName = podName.startsWith(`${deployment}-`)
      ? /^(.+)-[a-z0-9]{5}$/.exec(podName)?.[1]
      : undefined;
    const name =
      (fromName !== deployment ? fromName : undefined) ??
      this.currentReplicaSets.get(key) ??
      `${deployment}-${suffix()}`;
    this.currentReplicaSets.set(key, name);
    this.replicaSets.set(`${cluster}/${namespace}/${name}`, deployment);
    return name;
  }

  /** The workload that owns a pod, through its ReplicaSet for a Deployment. */
  private ownerOf(
    cluster: string,
    namespace: string,
    podName: string,
  ): WorkloadRef | undefined {
    const controller = this.controllers.get(
      `${cluster}/${namespace}/${podName}`,
    );
    if (controller?.kind !== 'ReplicaSet') return controller;
    const deployment = this.replicaSets.get(
      `${cluster}/${namespace}/${controller.name}`,
    );
    return deployment ? { kind: 'Deployment', name: deployment } : controller;
  }

  /**
   * Replaces these pods as their controllers would: each new pod is created
   * now, so the webhook injects what the ServiceAccount says today. A
   * Deployment's pods come from a new ReplicaSet; a StatefulSet's keep their
   * names.
   */
  private recreate(
    cluster: string,
    namespace: string,
    pods: PodInfo[],
  ): PodInfo[] {
    const state = this.cluster(cluster, 'k8s:delete pods');
    const replacements = pods.map(p => {
      const key = `${cluster}/${namespace}/${p.name}`;
      const owner = this.ownerOf(cluster, namespace, p.name);
      const manifest = this.manifests.get(key);
      this.controllers.delete(key);
      this.manifests.delete(key);
      return { old: p, owner, manifest };
    });
    const restartedDeployments = new Set(
      replacements
        .filter(r => r.owner?.kind === 'Deployment')
        .map(r => r.owner!.name),
    );
    for (const deployment of restartedDeployments) {
      this.currentReplicaSets.set(
        `${cluster}/${namespace}/${deployment}`,
        `${deployment}-${suffix()}`,
      );
    }
    state.pods = state.pods.filter(p => !pods.includes(p));
    return replacements.map(({ old, owner, manifest }) => {
      let name = `${old.name.replace(/-[a-z0-9]{5}$/, '')}-${suffix()}`;
      if (owner?.kind === 'StatefulSet') name = old.name;
      if (owner?.kind === 'Deployment') {
        name = `${this.currentReplicaSets.get(`${cluster}/${namespace}/${owner.name}`)}-${suffix()}`;
      }
      // The controller's template: the same manifest, a new pod.
      return this.createPod(cluster, namespace, {
        ...manifest,
        name,
        serviceAccountName: old.serviceAccountName,
        owner: owner ? (owner as SandboxPodOwner) : null,
      });
    });
  }

  /** `kubectl rollout restart` of every workload of the ServiceAccount: its pods are recreated (and re-injected). */
  restartPods(
    cluster: string,
    namespace: string,
    serviceAccountName: string,
  ): PodInfo[] {
    const state = this.cluster(cluster, 'k8s:delete pods');
    return this.recreate(
      cluster,
      namespace,
      state.pods.filter(
        p =>
          p.namespace === namespace &&
          p.serviceAccountName === serviceAccountName,
      ),
    );
  }

  async resolvePodOwners(
    cluster: string,
    namespace: string,
    podNames: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<PodOwner[]> {
    const operation = 'k8s:get pods';
    const state = this.cluster(cluster, operation);
    throwIfAborted(options.signal, operation);
    return podNames.map(name => {
      this.rbac.authorize(cluster, operation, {
        verb: 'get',
        resource: 'pods',
        namespace,
        name,
      });
      const pod = state.pods.find(
        p => p.namespace === namespace && p.name === name,
      );
      if (!pod) return { pod: name, found: false };
      const controller = this.controllers.get(
        `${cluster}/${namespace}/${name}`,
      );
      if (controller?.kind === 'ReplicaSet') {
        this.rbac.authorize(cluster, 'k8s:get replicasets', {
          verb: 'get',
          resource: 'replicasets',
          group: 'apps',
          namespace,
          name: controller.name,
        });
      }
      const owner = this.ownerOf(cluster, namespace, name);
      return {
        pod: name,
        found: true,
        serviceAccountName: pod.serviceAccountName,
        ...(owner ? { owner } : {}),
      };
    });
  }

  async restartWorkload(
    cluster: string,
    namespace: string,
    workload: WorkloadRef,
  ): Promise<{ restartedAt: string }> {
    const { resource, operation, refusal } = describeRestart(workload);
    const state = this.cluster(cluster, operation);
    if (refusal) {
      throw sandboxError('invalid-input', operation, 'InvalidInput', refusal);
    }
    this.rbac.authorize(cluster, operation, {
      verb: 'patch',
      resource,
      group: 'apps',
      namespace,
      name: workload.name,
    });
    if (
      !this.workloads.has(
        `${cluster}/${namespace}/${workload.kind}/${workload.name}`,
      )
    ) {
      throw sandboxError(
        'not-found',
        operation,
        '404',
        `${resource}.apps "${workload.name}" not found`,
      );
    }
    const restartedAt = this.state.isoNow();
    this.recreate(
      cluster,
      namespace,
      state.pods.filter(p => {
        if (p.namespace !== namespace) return false;
        const owner = this.ownerOf(cluster, namespace, p.name);
        return owner?.kind === workload.kind && owner.name === workload.name;
      }),
    );
    return { restartedAt };
  }
}
