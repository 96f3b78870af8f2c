import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { AwsEksAuthGateway, AwsEksGateway } from '../gateways/aws';
import { readClusterConfig, StaticClusterRegistry } from './clusters';
import { createIrsaService, readSandboxSetting } from './irsaServiceRef';

const logger = mockServices.logger.mock();
const credentialsManager = { getCredentialProvider: jest.fn() };

describe('createIrsaService', () => {
  it.each([true, { enabled: true }, { allowInProduction: true }])(
    'refuses irsa.sandbox: %j, since this backend lacks the sandbox package',
    async sandbox => {
      await expect(
        createIrsaService({
          config: new ConfigReader({
            irsa: {
              sandbox,
              clusters: [
                {
                  name: 'prod',
                  accountId: '111122223333',
                  region: 'eu-west-1',
                },
              ],
            },
          }),
          logger,
          credentialsManager,
        }),
      ).rejects.toThrow(
        "irsa.sandbox: true asks for the in-memory sandbox, but this backend does not add it; for the demo add @backstage-irsa/plugin-irsa-sandbox to the backend (backend.add(import('@backstage-irsa/plugin-irsa-sandbox'))), for AWS remove irsa.sandbox and configure irsa.clusters",
      );
    },
  );

  it('runs on AWS with irsa.sandbox: false or { enabled: false }', async () => {
    for (const sandbox of [false, { enabled: false }]) {
      const service = await createIrsaService({
        config: new ConfigReader({
          irsa: {
            sandbox,
            clusters: [
              { name: 'prod', accountId: '111122223333', region: 'eu-west-1' },
            ],
          },
        }),
        logger,
        credentialsManager,
      });
      expect(service.mode).toBe('aws');
    }
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
    expect(service.eks).toBeInstanceOf(AwsEksGateway);
    expect(service.eksAuth).toBeInstanceOf(AwsEksAuthGateway);
    expect(service.clusters.get('prod')).toEqual({
      name: 'prod',
      eksClusterName: 'prod',
      accountId: '111122223333',
      region: 'cn-north-1',
      partition: 'aws-cn',
      namespaces: { allow: [], deny: [] },
      defaultMechanism: 'irsa',
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
    ).rejects.toThrow(
      'irsa.clusters: configure at least one cluster (name, accountId, region); for the embedded demo add @backstage-irsa/plugin-irsa-sandbox to the backend and set irsa.sandbox: true',
    );
  });
});

describe('readSandboxSetting', () => {
  const read = (sandbox?: JsonValue) =>
    readSandboxSetting(
      new ConfigReader(sandbox === undefined ? {} : { irsa: { sandbox } }),
    );

  it('reads the boolean and the object form', () => {
    expect(read()).toEqual({ enabled: false, allowInProduction: false });
    expect(read(true)).toEqual({ enabled: true, allowInProduction: false });
    expect(read(false)).toEqual({ enabled: false, allowInProduction: false });
    expect(read({})).toEqual({ enabled: true, allowInProduction: false });
    expect(read({ enabled: false, allowInProduction: true })).toEqual({
      enabled: false,
      allowInProduction: true,
    });
  });

  it('refuses a malformed value naming the key', () => {
    expect(() => read({ enabled: 7 })).toThrow(
      'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
    );
    expect(() => read('yes')).toThrow(
      'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
    );
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
