import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { createSandboxIrsaService } from '../sandbox';
import type { IrsaService } from './types';

/**
 * Builds the shared service from config. `irsa.sandbox: true` selects the
 * in-memory sandbox (the embedded demo default).
 */
export async function createIrsaService(options: {
  config: Config;
  logger: LoggerService;
}): Promise<IrsaService> {
  const { config, logger } = options;
  if (config.getOptionalBoolean('irsa.sandbox')) {
    const { service } = await createSandboxIrsaService();
    logger.info(
      `IRSA running on the embedded sandbox (clusters: ${service.clusters
        .list()
        .map(c => c.name)
        .join(', ')}); no AWS or Kubernetes calls leave this process`,
    );
    return service;
  }
  // The real @aws-sdk and @kubernetes/client-node gateways are issue #3's
  // remaining work; refuse clearly instead of starting half-configured.
  throw new Error(
    'irsa.sandbox: only the embedded sandbox is available in this version; set irsa.sandbox: true (real AWS and EKS gateways are tracked in issue #3)',
  );
}

/**
 * The one IRSA service per backend process: the irsa backend plugin and the
 * scaffolder module share its gateways, caches and request budgets (and, in
 * sandbox mode, the same in-memory AWS and clusters).
 */
export const irsaServiceRef = createServiceRef<IrsaService>({
  id: 'irsa.service',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.rootLogger,
      },
      factory: ({ config, logger }) =>
        createIrsaService({
          config,
          logger: logger.child({ service: 'irsa' }),
        }),
    }),
});
