import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import {
  DefaultClusterFactsService,
  StaticClusterRegistry,
  type AwsGateways,
  type AwsTarget,
  type ClusterGateway,
  type EksAuthGateway,
  type EksGateway,
  type GatewayError,
  type IamGateway,
  type IrsaCluster,
  type IrsaService,
  type PodIdentityExchangeResult,
  type PodInfo,
} from '@backstage-irsa/plugin-irsa-node';
import { SandboxFaults, type SandboxCall } from './instrument';
import {
  SandboxClusterGateway,
  type SandboxDeniedAccess,
} from './SandboxClusterGateway';
import type { SandboxPodSpec } from './podWebhook';
import { SandboxCloudTrailGateway } from './SandboxCloudTrailGateway';
import { SandboxEksAuthGateway } from './SandboxEksAuthGateway';
import { SandboxEksGateway } from './SandboxEksGateway';
import { SandboxIamGateway } from './SandboxIamGateway';
import { SandboxNetworkGateway } from './SandboxNetworkGateway';
import { SandboxPolicyValidationGateway } from './SandboxPolicyValidationGateway';
import { SandboxStsGateway } from './SandboxStsGateway';
import { SANDBOX_ACCOUNT_ID, seedSandbox } from './seed';
import {
  fetchThroughAgent,
  setPodIdentityAgent,
  type SandboxPodIdentityAgent,
} from './podIdentityAgent';
import { SandboxState } from './state';

export {
  SANDBOX_ACCOUNT_ID,
  SANDBOX_SCENARIOS,
  type SandboxScenario,
} from './seed';
export {
  SANDBOX_WIRING_SCENARIOS,
  STATIC_KEYS_SECRET,
  type SandboxWiringScenario,
  type SandboxWiringScenarioId,
} from './wiringScenarios';
export type { SandboxCall, SandboxService } from './instrument';
export type { SandboxDeniedAccess } from './SandboxClusterGateway';
export {
  FARGATE_PROFILE_LABEL,
  POD_IDENTITY_CREDENTIALS_URI,
  POD_IDENTITY_TOKEN_FILE,
  WEB_IDENTITY_TOKEN_FILE,
  type SandboxPodOwner,
  type SandboxPodSpec,
  type SandboxSecretKeyRef,
} from './podWebhook';
export type { SandboxPodIdentityAgent } from './podIdentityAgent';

/** Options of {@link createSandbox}. */
export interface SandboxOptions {
  /** Seed the demo clusters and workloads (default true). */
  seed?: boolean;
  /** Seeds more after the demo's seed: for example `sandboxFleet(shape).seed`. */
  seedWith?: (
    state: SandboxState,
    kubernetes: SandboxClusterGateway,
  ) => Promise<void>;
  /** Latency added to every gateway call, for benchmarks. */
  latencyMs?: number;
  /** Fraction of calls answered with Throttling (deterministic), for fault tests. */
  throttleRate?: number;
  now?: () => Date;
}

/** A gateway method name, as the call log and `failNext` name it. */
export type SandboxOperation =
  | {
      [G in keyof AwsGateways]: keyof AwsGateways[G];
    }[keyof AwsGateways]
  | keyof ClusterGateway;

/** Test and benchmark controls of a sandbox. */
export interface SandboxControls {
  setLatency(ms: number): void;
  setThrottleRate(rate: number): void;
  /** The next call of this gateway method fails with `error`. */
  failNext(operation: SandboxOperation, error: GatewayError): void;
  readonly calls: readonly SandboxCall[];
  resetCalls(): void;
  /**
   * Starts a pod; the pod identity webhook injects credentials only now. Its
   * owner defaults to a Deployment named after the ServiceAccount (through a
   * ReplicaSet); `owner: null` starts a bare pod.
   */
  createPod(cluster: string, namespace: string, pod: SandboxPodSpec): PodInfo;
  /**
   * Installs the `eks-pod-identity-agent` add-on (DescribeAddon) and its
   * kube-system DaemonSet on the cluster, or removes both with `null`.
   * Pods keep what the webhook injected either way.
   */
  setPodIdentityAgent(
    cluster: string,
    agent: SandboxPodIdentityAgent | null,
  ): void;
  /**
   * What the pod's SDK gets from its Pod Identity credentials endpoint: the
   * agent exchanges the pod's projected token with EKS Auth. Fails
   * `unavailable` (ECONNREFUSED) on a cluster without a ready agent, and
   * `invalid-input` for a pod created without Pod Identity. Not logged as
   * a gateway call.
   */
  fetchPodIdentityCredentials(
    cluster: string,
    namespace: string,
    podName: string,
  ): Promise<PodIdentityExchangeResult>;
  /** `kubectl rollout restart`: recreates the ServiceAccount's pods. */
  restartPods(
    cluster: string,
    namespace: string,
    serviceAccountName: string,
  ): PodInfo[];
  /**
   * The cluster's RBAC refuses this right to Backstage from now on (every
   * namespace when `namespace` is absent): the matching reads and writes fail
   * with `access-denied` (403) and `reviewAccess` reports it not allowed.
   */
  denyAccess(cluster: string, access: SandboxDeniedAccess): void;
  /** Lifts a `denyAccess` with exactly these fields. */
  allowAccess(cluster: string, access: SandboxDeniedAccess): void;
  /**
   * Someone else puts an inline policy on a role, as in the IAM console
   * (IRSA for Backstage itself never writes inline policies). Not logged as
   * a gateway call.
   */
  putRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
    document: PolicyDocument,
  ): void;
  /** Someone else deletes an inline policy of a role. Not logged as a gateway call. */
  deleteRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): void;
  /** Adds a CloudTrail management event naming these resources. */
  recordCloudTrailEvent(event: {
    accountId?: string;
    region: string;
    eventName: string;
    eventSource: string;
    errorCode?: string;
    errorMessage?: string;
    username?: string;
    resourceNames: string[];
    eventTime?: string;
  }): void;
}

/** In-memory AWS and EKS with the semantics the checks depend on. */
export interface Sandbox extends AwsGateways {
  kubernetes: ClusterGateway;
  clusters: IrsaCluster[];
  controls: SandboxControls;
}

/**
 * Creates the embedded sandbox: one account, clusters `sandbox` and
 * `sandbox-legacy`, and the seeded workloads. A demo and test double, never a
 * production path.
 */
export async function createSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const state = new SandboxState(options.now ?? (() => new Date()));
  const iam = new SandboxIamGateway(state);
  const eks = new SandboxEksGateway(state);
  const eksAuth = new SandboxEksAuthGateway(state);
  const kubernetes = new SandboxClusterGateway(state);
  if (options.seed ?? true) await seedSandbox(state, { iam, eks, kubernetes });
  await options.seedWith?.(state, kubernetes);
  const faults = new SandboxFaults();
  faults.latencyMs = options.latencyMs ?? 0;
  faults.throttleRate = options.throttleRate ?? 0;
  let eventSequence = 0;
  const sandboxCluster = (name: string) => {
    const found = state.clusters.get(name);
    if (!found) throw new Error(`No sandbox cluster named "${name}"`);
    return found;
  };
  return {
    iam: faults.wrap<IamGateway>(iam, 'iam'),
    sts: faults.wrap(new SandboxStsGateway(state), 'sts'),
    eks: faults.wrap<EksGateway>(eks, 'eks'),
    eksAuth: faults.wrap<EksAuthGateway>(eksAuth, 'eksAuth'),
    network: faults.wrap(new SandboxNetworkGateway(state), 'network'),
    cloudTrail: faults.wrap(new SandboxCloudTrailGateway(state), 'cloudTrail'),
    policyValidation: faults.wrap(
      new SandboxPolicyValidationGateway(),
      'policyValidation',
    ),
    kubernetes: faults.wrap<ClusterGateway>(kubernetes, 'kubernetes'),
    clusters: [...state.clusters.values()].map(c => ({
      name: c.name,
      eksClusterName: c.name,
      accountId: c.accountId,
      region: c.region,
      partition: 'aws',
    })),
    controls: {
      setLatency: ms => (faults.latencyMs = ms),
      setThrottleRate: rate => (faults.throttleRate = rate),
      failNext: (operation, error) => faults.failNext(operation, error),
      get calls() {
        return faults.calls;
      },
      resetCalls: () => faults.calls.splice(0),
      createPod: (cluster, namespace, pod) =>
        kubernetes.createPod(cluster, namespace, pod),
      setPodIdentityAgent: (cluster, agent) =>
        setPodIdentityAgent(sandboxCluster(cluster), agent),
      fetchPodIdentityCredentials: (cluster, namespace, podName) =>
        fetchThroughAgent(
          state,
          eksAuth,
          sandboxCluster(cluster),
          namespace,
          podName,
        ),
      restartPods: (cluster, namespace, sa) =>
        kubernetes.restartPods(cluster, namespace, sa),
      denyAccess: (cluster, access) => kubernetes.denyAccess(cluster, access),
      allowAccess: (cluster, access) => kubernetes.allowAccess(cluster, access),
      putRolePolicy: (target, roleName, policyName, document) =>
        iam.putRolePolicy(target, roleName, policyName, document),
      deleteRolePolicy: (target, roleName, policyName) =>
        iam.deleteRolePolicy(target, roleName, policyName),
      recordCloudTrailEvent: event => {
        eventSequence += 1;
        state.account(event.accountId ?? SANDBOX_ACCOUNT_ID).events.push({
          eventId: `sandbox-event-${eventSequence}`,
          eventName: event.eventName,
          eventSource: event.eventSource,
          eventTime: event.eventTime ?? state.isoNow(),
          username: event.username,
          errorCode: event.errorCode,
          errorMessage: event.errorMessage,
          resources: event.resourceNames,
          region: event.region,
        });
      },
    },
  };
}

/** The sandbox behind the shared service: what `irsa.sandbox: true` runs on. */
export async function createSandboxIrsaService(
  options?: SandboxOptions & { factsTtlMs?: number },
): Promise<{ service: IrsaService; sandbox: Sandbox }> {
  const sandbox = await createSandbox(options);
  const clusters = new StaticClusterRegistry(sandbox.clusters);
  return {
    sandbox,
    service: {
      mode: 'sandbox',
      clusters,
      iam: sandbox.iam,
      sts: sandbox.sts,
      eks: sandbox.eks,
      eksAuth: sandbox.eksAuth,
      network: sandbox.network,
      cloudTrail: sandbox.cloudTrail,
      policyValidation: sandbox.policyValidation,
      kubernetes: sandbox.kubernetes,
      facts: new DefaultClusterFactsService({
        iam: sandbox.iam,
        eks: sandbox.eks,
        network: sandbox.network,
        clusters,
        ttlMs: options?.factsTtlMs,
      }),
    },
  };
}
