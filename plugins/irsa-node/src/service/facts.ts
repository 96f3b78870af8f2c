import { isGatewayError } from '../gateways/errors';
import type { EksGateway, IamGateway, NetworkGateway } from '../gateways/types';
import type {
  ClusterFacts,
  ClusterFactsService,
  ClusterRegistry,
} from './types';

/** Subnet tag some platforms (Panfactum) use to record a subnet's egress IP. */
export const PUBLIC_IP_SUBNET_TAG = 'panfactum.com/public-ip';

/** The AWS calls the facts service makes. */
export interface ClusterFactsGateways {
  eks: Pick<EksGateway, 'describeCluster'>;
  iam: Pick<IamGateway, 'getOidcProvider'>;
  network: NetworkGateway;
}

/**
 * Cluster-wide facts (issuer, OIDC provider, subnets, NAT IPs, endpoints),
 * fetched once per cluster and cached with a TTL; concurrent callers share
 * one fetch, and a failed fetch is not cached.
 */
export class DefaultClusterFactsService implements ClusterFactsService {
  private readonly cache = new Map<
    string,
    { facts: ClusterFacts; at: number }
  >();
  private readonly inFlight = new Map<string, Promise<ClusterFacts>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly options: ClusterFactsGateways & {
      clusters: ClusterRegistry;
      ttlMs?: number;
      now?: () => number;
    },
  ) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async get(
    cluster: string,
    options?: { refresh?: boolean },
  ): Promise<ClusterFacts> {
    const cached = this.cache.get(cluster);
    if (!options?.refresh && cached && this.now() - cached.at < this.ttlMs) {
      return cached.facts;
    }
    let pending = this.inFlight.get(cluster);
    if (!pending) {
      pending = this.fetch(cluster)
        .then(facts => {
          this.cache.set(cluster, { facts, at: this.now() });
          return facts;
        })
        .finally(() => this.inFlight.delete(cluster));
      this.inFlight.set(cluster, pending);
    }
    return pending;
  }

  private async fetch(name: string): Promise<ClusterFacts> {
    const { eks, iam, network, clusters } = this.options;
    const cluster = clusters.get(name);
    const target = { accountId: cluster.accountId, region: cluster.region };
    const description = await eks.describeCluster(
      target,
      cluster.eksClusterName,
    );
    const issuer = (description.issuerUrl ?? '').replace(/^https:\/\//, '');
    const oidcProviderArn =
      cluster.overrides?.oidcProviderArn ??
      `arn:${cluster.partition}:iam::${cluster.accountId}:oidc-provider/${issuer}`;

    // Round two: the provider and the cluster's own subnets.
    const [providerExists, listed] = await Promise.all([
      iam.getOidcProvider(target, oidcProviderArn).then(
        () => true,
        error => {
          if (isGatewayError(error, 'not-found')) return false;
          throw error;
        },
      ),
      description.subnetIds.length
        ? network.describeSubnets(target, { subnetIds: description.subnetIds })
        : Promise.resolve([]),
    ]);
    // DescribeCluster may omit the VPC; the cluster's subnets all live in it.
    const vpcId =
      cluster.overrides?.vpcId ??
      description.vpcId ??
      listed.find(s => s.vpcId)?.vpcId ??
      '';

    // Round three: everything in the VPC, in parallel (nothing without one).
    const inVpc = <T>(fn: () => Promise<T[]>): Promise<T[]> =>
      vpcId ? fn() : Promise.resolve([]);
    const [tagged, natGateways, routeTables, endpoints] = await Promise.all([
      inVpc(() =>
        network.describeSubnets(target, {
          vpcId,
          tagKey: `kubernetes.io/cluster/${cluster.eksClusterName}`,
        }),
      ),
      inVpc(() => network.describeNatGateways(target, { vpcId })),
      inVpc(() => network.describeRouteTables(target, { vpcId })),
      inVpc(() => network.describeVpcEndpoints(target, { vpcId })),
    ]);

    const subnets = [
      ...new Map([...listed, ...tagged].map(s => [s.id, s])).values(),
    ];
    const subnetIds = new Set(subnets.map(s => s.id));
    const mainTable = routeTables.find(t => t.main);
    // A subnet without an explicit association uses the VPC's main route table.
    const natIds = new Set(
      subnets.flatMap(s => {
        const table =
          routeTables.find(t => t.subnetIds.includes(s.id)) ?? mainTable;
        return table?.natGatewayIds ?? [];
      }),
    );
    const natIps = natGateways
      .filter(n => natIds.has(n.id) && n.state === 'available')
      .flatMap(n => n.publicIps);
    const taggedIps = subnets
      .filter(s => subnetIds.has(s.id))
      .map(s => s.tags[PUBLIC_IP_SUBNET_TAG])
      .filter((ip): ip is string => Boolean(ip));

    let natPublicIps: string[];
    let natPublicIpSource: ClusterFacts['natPublicIpSource'];
    if (cluster.overrides?.natPublicIps) {
      natPublicIps = cluster.overrides.natPublicIps;
      natPublicIpSource = 'config';
    } else if (natIps.length) {
      natPublicIps = natIps;
      natPublicIpSource = 'nat-gateways';
    } else if (taggedIps.length) {
      natPublicIps = taggedIps;
      natPublicIpSource = 'subnet-tag';
    } else {
      natPublicIps = [];
      natPublicIpSource = 'none';
    }

    return {
      cluster: name,
      accountId: cluster.accountId,
      region: cluster.region,
      partition: cluster.partition,
      issuer,
      oidcProviderArn,
      oidcProviderExists: providerExists,
      vpcId,
      subnets: subnets.map(s => ({
        id: s.id,
        cidrBlock: s.cidrBlock,
        ...(s.tags[PUBLIC_IP_SUBNET_TAG]
          ? { publicIpTag: s.tags[PUBLIC_IP_SUBNET_TAG] }
          : {}),
      })),
      natPublicIps: [...new Set(natPublicIps)].sort(),
      natPublicIpSource,
      vpcEndpoints: endpoints.map(e => ({
        id: e.id,
        serviceName: e.serviceName,
        type: e.type,
      })),
      fetchedAt: new Date(this.now()).toISOString(),
    };
  }
}
