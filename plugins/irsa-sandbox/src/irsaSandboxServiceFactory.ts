import {
  coreServices,
  createServiceFactory,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  irsaServiceRef,
  readSandboxSetting,
  type IrsaService,
} from '@backstage-irsa/plugin-irsa-node';
import { createSandboxIrsaService } from './createSandbox';

/**
 * The sandbox behind the shared service, for a backend that added this
 * package. Two keys turn the demo on, the package and `irsa.sandbox: true`;
 * either alone stops start-up with an error naming the other, and
 * NODE_ENV=production refuses it unless `irsa.sandbox.allowInProduction:
 * true` says it is meant, so a demo setting left on never stands in for AWS.
 */
export async function createSandboxIrsaServiceFromConfig(options: {
  config: Config;
  logger: LoggerService;
  nodeEnv?: string;
}): Promise<IrsaService> {
  const { config, logger, nodeEnv = process.env.NODE_ENV } = options;
  const setting = readSandboxSetting(config);
  if (!setting.enabled) {
    throw new InputError(
      'irsa.sandbox: this backend adds the in-memory sandbox (@backstage-irsa/plugin-irsa-sandbox) but irsa.sandbox is not true; set irsa.sandbox: true for the demo, or remove the sandbox from the backend and configure irsa.clusters for AWS',
    );
  }
  if (nodeEnv === 'production' && !setting.allowInProduction) {
    throw new InputError(
      'irsa.sandbox: the in-memory sandbox refuses to start with NODE_ENV=production; configure irsa.clusters for AWS, or set irsa.sandbox.allowInProduction: true (with irsa.sandbox.enabled: true) to run the demo on purpose',
    );
  }
  const { service } = await createSandboxIrsaService();
  logger.info(
    `IRSA running on the embedded sandbox (clusters: ${service.clusters
      .list()
      .map(c => c.name)
      .join(', ')}); no AWS or Kubernetes calls leave this process`,
  );
  return service;
}

/**
 * Overrides the irsa service with the in-memory sandbox:
 * `backend.add(import('@backstage-irsa/plugin-irsa-sandbox'))` (this is the
 * package's default export) together with `irsa.sandbox: true`. The demo
 * backend adds it; a production backend does not, so it never loads this
 * code. See {@link createSandboxIrsaServiceFromConfig} for the guards.
 */
export const irsaSandboxServiceFactory = createServiceFactory({
  service: irsaServiceRef,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.rootLogger,
  },
  factory: ({ config, logger }) =>
    createSandboxIrsaServiceFromConfig({
      config,
      logger: logger.child({ service: 'irsa' }),
    }),
});
