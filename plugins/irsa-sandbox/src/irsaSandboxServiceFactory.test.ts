import {
  mockServices,
  ServiceFactoryTester,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { createSandboxIrsaServiceFromConfig } from './irsaSandboxServiceFactory';
import irsaSandbox, { irsaSandboxServiceFactory } from '.';

const refusal =
  'irsa.sandbox: the in-memory sandbox refuses to start with NODE_ENV=production; configure irsa.clusters for AWS, or set irsa.sandbox.allowInProduction: true (with irsa.sandbox.enabled: true) to run the demo on purpose';
const notEnabled =
  'irsa.sandbox: this backend adds the in-memory sandbox (@backstage-irsa/plugin-irsa-sandbox) but irsa.sandbox is not true; set irsa.sandbox: true for the demo, or remove the sandbox from the backend and configure irsa.clusters for AWS';

const start = (sandbox: JsonValue | undefined, nodeEnv?: string) =>
  createSandboxIrsaServiceFromConfig({
    config: new ConfigReader(
      sandbox === undefined ? {} : { irsa: { sandbox } },
    ),
    logger: mockServices.logger.mock(),
    nodeEnv,
  });
const clusterNames = async (sandbox: JsonValue, nodeEnv?: string) =>
  (await start(sandbox, nodeEnv)).clusters.list().map(c => c.name);

describe('createSandboxIrsaServiceFromConfig', () => {
  it('runs the seeded sandbox with irsa.sandbox: true outside production', async () => {
    expect(await clusterNames(true, 'development')).toEqual([
      'sandbox',
      'sandbox-legacy',
    ]);
    expect(await clusterNames(true, 'test')).toEqual([
      'sandbox',
      'sandbox-legacy',
    ]);
    expect(await clusterNames({ enabled: true }, undefined)).toEqual([
      'sandbox',
      'sandbox-legacy',
    ]);
    expect((await start(true, 'development')).mode).toBe('sandbox');
  });

  it('says no AWS or Kubernetes call leaves the process', async () => {
    const logger = mockServices.logger.mock();
    await createSandboxIrsaServiceFromConfig({
      config: new ConfigReader({ irsa: { sandbox: true } }),
      logger,
      nodeEnv: 'development',
    });
    expect(logger.info).toHaveBeenCalledWith(
      'IRSA running on the embedded sandbox (clusters: sandbox, sandbox-legacy); no AWS or Kubernetes calls leave this process',
    );
  });

  it('refuses to run when the package is added but irsa.sandbox is not on', async () => {
    await expect(start(undefined, 'development')).rejects.toThrow(notEnabled);
    await expect(start(false, 'development')).rejects.toThrow(notEnabled);
    await expect(
      start({ enabled: false, allowInProduction: true }, 'production'),
    ).rejects.toThrow(notEnabled);
  });

  it('refuses the sandbox under NODE_ENV=production, naming the key', async () => {
    await expect(start(true, 'production')).rejects.toThrow(refusal);
    await expect(start({ enabled: true }, 'production')).rejects.toThrow(
      refusal,
    );
    await expect(start({}, 'production')).rejects.toThrow(refusal);
  });

  it('runs it in production only with the explicit opt-in', async () => {
    expect(
      await clusterNames(
        { enabled: true, allowInProduction: true },
        'production',
      ),
    ).toEqual(['sandbox', 'sandbox-legacy']);
  });

  it('refuses a malformed value naming the key', async () => {
    await expect(start({ enabled: 7 }, 'development')).rejects.toThrow(
      'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
    );
  });
});

describe('irsaSandboxServiceFactory', () => {
  it('is the default export, so backend.add(import(...)) adds it', () => {
    expect(irsaSandbox).toBe(irsaSandboxServiceFactory);
  });

  it('provides the irsa service from root config', async () => {
    const service = await ServiceFactoryTester.from(irsaSandboxServiceFactory, {
      dependencies: [
        mockServices.rootConfig.factory({ data: { irsa: { sandbox: true } } }),
      ],
    }).getSubject();
    expect(service.mode).toBe('sandbox');
    expect(service.clusters.list().map(c => c.name)).toEqual([
      'sandbox',
      'sandbox-legacy',
    ]);
  });

  it('stops under NODE_ENV=production, reading process.env', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(
        ServiceFactoryTester.from(irsaSandboxServiceFactory, {
          dependencies: [
            mockServices.rootConfig.factory({
              data: { irsa: { sandbox: true } },
            }),
          ],
        }).getSubject(),
      ).rejects.toThrow(refusal);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
