import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readClusterConfig, StaticClusterRegistry } from './clusters';
import { createIrsaService } from './irsaServiceRef';

const logger = mockServices.logger.mock();
const credentialsManager = { getCredentialProvider: jest.fn() };

describe('createIrsaService', () => {
  it('runs on the sandbox with irsa.sandbox: true', async () => {
    const service = await createIrsaService({
      config: new ConfigReader({ irsa: { sandbox: true } }),
      logger,
    });
    expect(service.mode).toBe('sandbox');
    expect(service.clusters.list().map(c => c.name)).toEqual([
      'sandbox',
      'sandbox-legacy',
    ]);
  });

  it('builds the real gateways for configured clusters without calling AWS', async () => {
    const config = new ConfigReader({
      irsa: {
        clusters: [
          { name: 'prod', accountId: '111122223333', region: 'cn-north-1' },
        ],
      },
    });
    const service = await createIrsaService({
      config,
      logger,
      credentialsManager,
    });
    expect(service.mode).toBe('aws');
    expect(service.clusters.get('prod')).toEqual({
      name: 'prod',
      eksClusterName: 'prod',
      accountId: '111122223333',
      region: 'cn-north-1',
      partition: 'aws-cn',
      namespaces: { allow: [], deny: [] },
    });
    expect(credentialsManager.getCredentialProvider).not.toHaveBeenCalled();
  });

  it('refuses to start without clusters, naming the key', async () => {
    await expect(
      createIrsaService({
        config: new ConfigReader({}),
        logger,
        credentialsManager,
      }),
    ).rejects.toThrow(/^irsa.clusters: configure at least one cluster/);
  });
});

describe('readClusterConfig', () => {
  const read = (clusters: any[]) =>
    readClusterConfig(new ConfigReader({ irsa: { clusters } }));

  it.each([
    [
      [{ name: 'Prod', accountId: '111122223333', region: 'eu-west-1' }],
      'irsa.clusters[0].name: "Prod" must be a DNS-1123 label',
    ],
    [
      [{ name: 'prod', accountId: '1111', region: 'eu-west-1' }],
      'irsa.clusters[0].accountId: must be a 12-digit AWS account id (quote it in YAML)',
    ],
    [
      [{ name: 'prod', accountId: '111122223333', region: 'europe' }],
      'irsa.clusters[0].region: "europe" is not an AWS region such as eu-west-1',
    ],
    [
      [
        { name: 'prod', accountId: '111122223333', region: 'eu-west-1' },
        { name: 'prod', accountId: '111122223333', region: 'eu-west-1' },
      ],
      'irsa.clusters[1].name: "prod" is configured twice',
    ],
    [
      [
        {
          name: 'prod',
          accountId: '111122223333',
          region: 'eu-west-1',
          namespaces: { allow: ['team-*'], deny: ['Team A'] },
        },
      ],
      'irsa.clusters[0].namespaces.deny[0]: "Team A" must be a namespace name or a pattern of lowercase letters, digits, "-", "*" and "?"',
    ],
  ])('rejects %j naming the key', (clusters, message) => {
    expect(() => read(clusters)).toThrow(message);
  });

  it('keeps overrides and resolves clusters by name', () => {
    const registry = new StaticClusterRegistry(
      read([
        {
          name: 'prod',
          accountId: '111122223333',
          region: 'us-gov-west-1',
          natPublicIps: ['203.0.113.9'],
        },
      ]),
    );
    expect(registry.get('prod')).toMatchObject({
      partition: 'aws-us-gov',
      overrides: { natPublicIps: ['203.0.113.9'] },
    });
    expect(registry.defaultCluster()?.name).toBe('prod');
    expect(() => registry.get('dev')).toThrow(
      'cluster: "dev" is not configured under irsa.clusters (configured: prod)',
    );
  });
});
