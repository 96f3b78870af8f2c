import type { LoggerService } from '@backstage/backend-plugin-api';
import { isGatewayError } from '../gateways/errors';
import type {
  AccountAuthorizationDetails,
  AwsTarget,
  CloudTrailEventInfo,
  ManagedPolicyDetail,
  OidcProviderInfo,
  PodInfo,
  RoleDetail,
  ServiceAccountInfo,
} from '../gateways/types';
import { DefaultClusterFactsService } from '../service/facts';
import type { ClusterFacts, IrsaService } from '../service/types';
import { describeFailure } from '../verifier/sources';
import type { CloudTrailWindows } from './CloudTrailWindows';

/** Where one component of a fleet run lives. */
export interface FleetComponent {
  cluster: string;
  namespace: string;
}

/** An account's roles (by name) and managed policies (by ARN). */
export interface AccountSnapshot {
  roles: Map<string, RoleDetail>;
  policies: Map<string, ManagedPolicyDetail>;
}

/** A namespace's ServiceAccounts (by name) and pods (by ServiceAccount). */
export interface NamespaceSnapshot {
  serviceAccounts: Map<string, ServiceAccountInfo>;
  podsByServiceAccount: Map<string, PodInfo[]>;
}

/** What {@link FleetSnapshot.gather} reads with. */
export interface FleetSnapshotGatherOptions {
  service: IrsaService;
  components: FleetComponent[];
  cloudTrail: CloudTrailWindows;
  logger: LoggerService;
  /** Namespaces read at once. */
  concurrency: number;
  signal?: AbortSignal;
}

const key = (...parts: string[]) => parts.join('/');

/** Runs `fn` for every item, at most `limit` at a time. */
async function inParallel<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift())
      await fn(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

function indexAccount(details: AccountAuthorizationDetails): AccountSnapshot {
  return {
    roles: new Map(details.roles.map(r => [r.name, r])),
    policies: new Map(details.policies.map(p => [p.arn, p])),
  };
}

function indexNamespace(
  serviceAccounts: ServiceAccountInfo[],
  pods: PodInfo[],
): NamespaceSnapshot {
  const podsByServiceAccount = new Map<string, PodInfo[]>();
  for (const pod of pods) {
    const list = podsByServiceAccount.get(pod.serviceAccountName) ?? [];
    list.push(pod);
    podsByServiceAccount.set(pod.serviceAccountName, list);
  }
  return {
    serviceAccounts: new Map(serviceAccounts.map(sa => [sa.name, sa])),
    podsByServiceAccount,
  };
}

/** Events by every resource name they carry, in the order given (newest first). */
function indexEvents(
  events: CloudTrailEventInfo[],
): Map<string, CloudTrailEventInfo[]> {
  const byResource = new Map<string, CloudTrailEventInfo[]>();
  for (const event of events) {
    for (const name of new Set(event.resources)) {
      const list = byResource.get(name) ?? [];
      list.push(event);
      byResource.set(name, list);
    }
  }
  return byResource;
}

/**
 * What the components of one fleet run share, read once: per account
 * (GetAccountAuthorizationDetails), per cluster (facts and OIDC provider),
 * per namespace (one ServiceAccount list, one pod list) and per account and
 * region (CloudTrail). A part that could not be read is absent: the
 * verifications then read it per component, as a single verification does.
 */
export class FleetSnapshot {
  private readonly accounts = new Map<string, AccountSnapshot>();
  private readonly clusterFacts = new Map<string, ClusterFacts>();
  private readonly providers = new Map<string, { info?: OidcProviderInfo }>();
  private readonly namespaces = new Map<string, NamespaceSnapshot>();
  private readonly trails = new Map<
    string,
    Map<string, CloudTrailEventInfo[]>
  >();

  /** The account's roles and managed policies, if read. */
  account(accountId: string): AccountSnapshot | undefined {
    return this.accounts.get(accountId);
  }

  /** The cluster's facts, if read. */
  facts(cluster: string): ClusterFacts | undefined {
    return this.clusterFacts.get(cluster);
  }

  /** The OIDC provider, if read: `{}` when it does not exist. */
  oidcProvider(arn: string): { info?: OidcProviderInfo } | undefined {
    return this.providers.get(arn);
  }

  /** The namespace's ServiceAccounts and pods, if read. */
  namespace(cluster: string, namespace: string): NamespaceSnapshot | undefined {
    return this.namespaces.get(key(cluster, namespace));
  }

  /** The account-region's CloudTrail events by resource name (newest first), if read. */
  events(target: AwsTarget): Map<string, CloudTrailEventInfo[]> | undefined {
    return this.trails.get(key(target.accountId, target.region));
  }

  /** Reads every part the components need, in parallel; never throws for a part. */
  static async gather(
    options: FleetSnapshotGatherOptions,
  ): Promise<FleetSnapshot> {
    const { service, logger, signal } = options;
    const snapshot = new FleetSnapshot();
    if (signal?.aborted || !options.components.length) return snapshot;

    const clusters = new Map(
      options.components.map(c => [c.cluster, service.clusters.get(c.cluster)]),
    );
    const accounts = new Map<string, AwsTarget>();
    const regions = new Map<string, AwsTarget>();
    for (const { accountId, region } of clusters.values()) {
      if (!accounts.has(accountId))
        accounts.set(accountId, { accountId, region });
      regions.set(key(accountId, region), { accountId, region });
    }
    const namespaces = new Map(
      options.components.map(c => [key(c.cluster, c.namespace), c]),
    );

    const read = <T>(
      what: string,
      fn: () => Promise<T>,
      keep: (value: T) => void,
    ): Promise<void> =>
      signal?.aborted
        ? Promise.resolve()
        : fn().then(keep, error => {
            if (signal?.aborted) return;
            const reason = isGatewayError(error)
              ? describeFailure(error)
              : (error as Error).message;
            logger.warn(
              `IRSA fleet snapshot: ${what} not read (read per component instead): ${reason}`,
            );
          });

    // The facts service asks for the provider's existence; the checks want
    // the provider itself. One call answers both.
    const providerCalls = new Map<string, Promise<OidcProviderInfo>>();
    const getOidcProvider = (target: AwsTarget, arn: string) => {
      let call = providerCalls.get(arn);
      if (!call) {
        call = service.iam.getOidcProvider(target, arn);
        call.then(
          info => snapshot.providers.set(arn, { info }),
          error => {
            if (isGatewayError(error, 'not-found'))
              snapshot.providers.set(arn, {});
          },
        );
        providerCalls.set(arn, call);
      }
      return call;
    };
    const facts = new DefaultClusterFactsService({
      eks: service.eks,
      network: service.network,
      iam: { getOidcProvider },
      clusters: service.clusters,
    });

    await Promise.all([
      ...[...accounts].map(([accountId, target]) =>
        read(
          `IAM of account ${accountId}`,
          () => service.iam.getAccountAuthorizationDetails(target, { signal }),
          details => snapshot.accounts.set(accountId, indexAccount(details)),
        ),
      ),
      ...[...clusters.keys()].map(cluster =>
        read(
          `facts of cluster ${cluster}`,
          () => facts.get(cluster),
          value => snapshot.clusterFacts.set(cluster, value),
        ),
      ),
      ...[...regions].map(([region, target]) =>
        read(
          `CloudTrail of ${region}`,
          () => options.cloudTrail.read(target),
          events => snapshot.trails.set(region, indexEvents(events)),
        ),
      ),
      inParallel([...namespaces], options.concurrency, ([at, c]) =>
        read(
          `namespace ${c.namespace} of cluster ${c.cluster}`,
          () =>
            Promise.all([
              service.kubernetes.listServiceAccounts(c.cluster, c.namespace, {
                signal,
              }),
              service.kubernetes.listPods(c.cluster, c.namespace, { signal }),
            ]),
          ([serviceAccounts, pods]) =>
            snapshot.namespaces.set(at, indexNamespace(serviceAccounts, pods)),
        ),
      ),
    ]);
    return snapshot;
  }
}
