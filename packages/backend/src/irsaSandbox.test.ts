import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
import irsaSandbox from '@backstage-irsa/plugin-irsa-sandbox';
import type { JsonObject } from '@backstage/types';
import { createIrsaSandboxLoader } from './irsaSandbox';

const prodCluster = {
  name: 'prod-eu',
  accountId: '123456789012',
  region: 'eu-west-1',
};

/**
 * Starts a backend whose one plugin reads the irsa service's mode, with or
 * without the sandbox loader; says whether the loader loaded the package.
 */
async function start(options: { loader: boolean; irsa: JsonObject }) {
  let mode: string | undefined;
  const probe = createBackendPlugin({
    pluginId: 'probe',
    register(env) {
      env.registerInit({
        deps: { irsa: irsaServiceRef },
        async init({ irsa }) {
          mode = irsa.mode;
        },
      });
    },
  });
  const loadSandbox = jest.fn(async () => ({ default: irsaSandbox }));
  await startTestBackend({
    features: [
      probe,
      ...(options.loader ? [createIrsaSandboxLoader(loadSandbox)] : []),
      mockServices.rootConfig.factory({ data: { irsa: options.irsa } }),
    ],
  });
  return { mode, loaded: loadSandbox.mock.calls.length };
}

describe('irsaSandboxLoader', () => {
  it('puts the irsa service on the sandbox with irsa.sandbox: true (app-config.yaml)', async () => {
    expect(await start({ loader: true, irsa: { sandbox: true } })).toEqual({
      mode: 'sandbox',
      loaded: 1,
    });
  });

  it('leaves the irsa service on AWS and does not load the sandbox with irsa.sandbox: false (the production overlay)', async () => {
    expect(
      await start({
        loader: true,
        irsa: { sandbox: false, clusters: [prodCluster] },
      }),
    ).toEqual({ mode: 'aws', loaded: 0 });
  });

  it('a backend without the sandbox refuses irsa.sandbox: true at start-up', async () => {
    await expect(
      start({
        loader: false,
        irsa: { sandbox: true, clusters: [prodCluster] },
      }),
    ).rejects.toThrow(
      "irsa.sandbox: true asks for the in-memory sandbox, but this backend does not add it; for the demo add @backstage-irsa/plugin-irsa-sandbox to the backend (backend.add(import('@backstage-irsa/plugin-irsa-sandbox'))), for AWS remove irsa.sandbox and configure irsa.clusters",
    );
  });
});
