import { GatewayError } from '../gateways/errors';
import { StaticClusterRegistry } from './clusters';
import { DefaultClusterFactsService, type ClusterFactsGateways } from './facts';
import type { IrsaCluster } from './types';

const cluster: IrsaCluster = {
  name: 'prod',
  eksClusterName: 'prod-eks',
  accountId: '111122223333',
  region: 'eu-west-1',
  partition: 'aws',
};

/** Only the calls the facts service makes, answering like AWS. */
function fakeIam(
  options: {
    natGateways?: boolean;
    providerExists?: boolean;
    delayMs?: number;
    /** DescribeCluster answers without resourcesVpcConfig.vpcId. */
    omitVpcId?: boolean;
  } = {},
) {
  const calls: string[] = [];
  const vpcFilters: string[] = [];
  const answer = async <T>(name: string, value: T): Promise<T> => {
    calls.push(name);
    if (options.delayMs)
      await new Promise(resolve => setTimeout(resolve, options.delayMs));
    return value;
  };
  const fake = {
    describeCluster: () =>
      answer('describeCluster', {
        name: 'prod-eks',
        arn: 'arn',
        status: 'ACTIVE',
        issuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
        ...(options.omitVpcId ? {} : { vpcId: 'vpc-1' }),
        subnetIds: ['subnet-a'],
      }),
    getOidcProvider: async (_t: unknown, arn: string) => {
      calls.push('getOidcProvider');
      if (options.providerExists === false)
        throw new GatewayError({
          kind: 'not-found',
          operation: 'iam:GetOpenIDConnectProvider',
          message: 'nope',
        });
      return {
        arn,
        url: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC',
        clientIds: ['sts.amazonaws.com'],
        thumbprints: [],
      };
    },
    describeSubnets: (
      _t: unknown,
      filter: { subnetIds?: string[]; tagKey?: string; vpcId?: string },
    ) => {
      if (filter.vpcId !== undefined) vpcFilters.push(filter.vpcId);
      return answer(
        'describeSubnets',
        filter.subnetIds
          ? [
              {
                id: 'subnet-a',
                vpcId: 'vpc-1',
                ipv6CidrBlocks: [],
                tags: { 'panfactum.com/public-ip': '198.51.100.1' },
              },
            ]
          : [
              {
                id: 'subnet-b',
                vpcId: 'vpc-1',
                ipv6CidrBlocks: [],
                tags: {
                  [filter.tagKey!]: 'owned',
                  'panfactum.com/public-ip': '198.51.100.2',
                },
              },
            ],
      );
    },
    describeNatGateways: (_t: unknown, filter: { vpcId: string }) => {
      vpcFilters.push(filter.vpcId);
      return answer(
        'describeNatGateways',
        options.natGateways === false
          ? []
          : [
              {
                id: 'nat-1',
                vpcId: 'vpc-1',
                subnetId: 'subnet-pub',
                state: 'available',
                publicIps: ['203.0.113.1'],
              },
              {
                id: 'nat-2',
                vpcId: 'vpc-1',
                subnetId: 'subnet-pub',
                state: 'available',
                publicIps: ['203.0.113.2'],
              },
              {
                id: 'nat-unused',
                vpcId: 'vpc-1',
                subnetId: 'subnet-pub',
                state: 'available',
                publicIps: ['203.0.113.99'],
              },
            ],
      );
    },
    describeRouteTables: (_t: unknown, filter: { vpcId: string }) => {
      vpcFilters.push(filter.vpcId);
      return answer('describeRouteTables', [
        {
          id: 'rtb-a',
          vpcId: 'vpc-1',
          main: false,
          subnetIds: ['subnet-a'],
          natGatewayIds: ['nat-1'],
        },
        // subnet-b has no explicit association: it uses the main table.
        {
          id: 'rtb-main',
          vpcId: 'vpc-1',
          main: true,
          subnetIds: [],
          natGatewayIds: ['nat-2'],
        },
      ]);
    },
    describeVpcEndpoints: (_t: unknown, filter: { vpcId: string }) => {
      vpcFilters.push(filter.vpcId);
      return answer('describeVpcEndpoints', [
        {
          id: 'vpce-1',
          vpcId: 'vpc-1',
          serviceName: 'com.amazonaws.eu-west-1.sts',
          type: 'Interface',
        },
      ]);
    },
  };
  const { describeCluster, getOidcProvider, ...network } = fake;
  const gateways: ClusterFactsGateways = {
    eks: { describeCluster },
    iam: { getOidcProvider },
    network,
  };
  return { gateways, calls, vpcFilters };
}

describe('DefaultClusterFactsService', () => {
  it('derives issuer, provider, subnets (listed and tagged) and the NAT IPs their route tables use', async () => {
    const { gateways, calls } = fakeIam();
    const facts = await new DefaultClusterFactsService({
      ...gateways,
      clusters: new StaticClusterRegistry([cluster]),
      now: () => 0,
    }).get('prod');
    expect(facts).toEqual({
      cluster: 'prod',
      accountId: '111122223333',
      region: 'eu-west-1',
      partition: 'aws',
      issuer: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC',
      oidcProviderArn:
        'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
      oidcProviderExists: true,
      vpcId: 'vpc-1',
      subnets: [
        { id: 'subnet-a', cidrBlock: undefined, publicIpTag: '198.51.100.1' },
        { id: 'subnet-b', cidrBlock: undefined, publicIpTag: '198.51.100.2' },
      ],
      natPublicIps: ['203.0.113.1', '203.0.113.2'],
      natPublicIpSource: 'nat-gateways',
      vpcEndpoints: [
        {
          id: 'vpce-1',
          serviceName: 'com.amazonaws.eu-west-1.sts',
          type: 'Interface',
        },
      ],
      fetchedAt: '1970-01-01T00:00:00.000Z',
    });
    expect(calls[0]).toBe('describeCluster');
    expect(calls).toHaveLength(7);
  });

  it("derives the VPC from the cluster's subnets when DescribeCluster omits it", async () => {
    const { gateways, vpcFilters } = fakeIam({ omitVpcId: true });
    const facts = await new DefaultClusterFactsService({
      ...gateways,
      clusters: new StaticClusterRegistry([cluster]),
    }).get('prod');
    expect(facts.vpcId).toBe('vpc-1');
    expect(facts.natPublicIps).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(vpcFilters).toEqual(['vpc-1', 'vpc-1', 'vpc-1', 'vpc-1']);
  });

  it('falls back to the panfactum.com/public-ip subnet tag, and config overrides win', async () => {
    const { gateways } = fakeIam({ natGateways: false, providerExists: false });
    const service = new DefaultClusterFactsService({
      ...gateways,
      clusters: new StaticClusterRegistry([
        cluster,
        {
          ...cluster,
          name: 'pinned',
          overrides: { natPublicIps: ['192.0.2.7'] },
        },
      ]),
    });
    expect(await service.get('prod')).toMatchObject({
      natPublicIps: ['198.51.100.1', '198.51.100.2'],
      natPublicIpSource: 'subnet-tag',
      oidcProviderExists: false,
    });
    expect(await service.get('pinned')).toMatchObject({
      natPublicIps: ['192.0.2.7'],
      natPublicIpSource: 'config',
    });
  });

  it('fetches once for a burst of callers, caches for the TTL, and never caches a failure', async () => {
    let now = 0;
    const { gateways, calls } = fakeIam({ delayMs: 5 });
    const service = new DefaultClusterFactsService({
      ...gateways,
      clusters: new StaticClusterRegistry([cluster]),
      ttlMs: 1000,
      now: () => now,
    });
    await Promise.all(Array.from({ length: 20 }, () => service.get('prod')));
    expect(calls.filter(c => c === 'describeCluster')).toHaveLength(1);
    now = 999;
    await service.get('prod');
    expect(calls.filter(c => c === 'describeCluster')).toHaveLength(1);
    now = 1000;
    await service.get('prod');
    expect(calls.filter(c => c === 'describeCluster')).toHaveLength(2);

    const failing: ClusterFactsGateways = {
      ...gateways,
      eks: {
        describeCluster: jest
          .fn()
          .mockRejectedValueOnce(
            new GatewayError({
              kind: 'unavailable',
              operation: 'eks:DescribeCluster',
              message: 'down',
            }),
          )
          .mockImplementation(gateways.eks.describeCluster),
      },
    };
    const second = new DefaultClusterFactsService({
      ...failing,
      clusters: new StaticClusterRegistry([cluster]),
    });
    await expect(second.get('prod')).rejects.toMatchObject({
      kind: 'unavailable',
    });
    await expect(second.get('prod')).resolves.toMatchObject({ vpcId: 'vpc-1' });
  });
});
