import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DefaultAwsCredentialsManager,
  type AwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { createAwsGateways } from '../gateways/aws';
import { createKubernetesClusterGateway } from '../gateways/kubernetes';
import { createSandboxIrsaService } from '../sandbox';
import { readClusterConfig, StaticClusterRegistry } from './clusters';
import { DefaultClusterFactsService } from './facts';
import type { IrsaService } from './types';

/**
 * Whether config selects the sandbox: `irsa.sandbox: true`, or the object
 * form `irsa.sandbox: { enabled: true, allowInProduction?: boolean }`.
 * Under NODE_ENV=production the sandbox is refused unless
 * `irsa.sandbox.allowInProduction: true` says it is meant, so a demo setting
 * left on can never silently stand in for AWS.
 */
export function readSandboxSetting(
  config: Config,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): boolean {
  const raw = config.getOptional('irsa.sandbox');
  let enabled = false;
  let allowInProduction = false;
  if (typeof raw === 'boolean') {
    enabled = raw;
  } else if (raw !== undefined) {
    try {
      enabled = config.getOptionalBoolean('irsa.sandbox.enabled') ?? true;
      allowInProduction =
        config.getOptionalBoolean('irsa.sandbox.allowInProduction') ?? false;
    } catch {
      throw new InputError(
        'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
      );
    }
  }
  if (enabled && nodeEnv === 'production' && !allowInProduction) {
    throw new InputError(
      'irsa.sandbox: the in-memory sandbox refuses to start with NODE_ENV=production; configure irsa.clusters for AWS, or set irsa.sandbox.allowInProduction: true (with irsa.sandbox.enabled: true) to run the demo on purpose',
    );
  }
  return enabled;
}

/**
 * Builds the shared service from config. `irsa.sandbox: true` selects the
 * in-memory sandbox (the embedded demo default); see readSandboxSetting for
 * the production guard.
 */
export async function createIrsaService(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): Promise<IrsaService> {
  const { config, logger } = options;
  if (readSandboxSetting(config)) {
    const { service } = await createSandboxIrsaService();
    logger.info(
      `IRSA running on the embedded sandbox (clusters: ${service.clusters
        .list()
        .map(c => c.name)
        .join(', ')}); no AWS or Kubernetes calls leave this process`,
    );
    return service;
  }
  const list = readClusterConfig(config);
  if (!list.length) {
    throw new InputError(
      'irsa.clusters: configure at least one cluster (name, accountId, region), or set irsa.sandbox: true for the embedded demo',
    );
  }
  const clusters = new StaticClusterRegistry(list);
  const credentialsManager =
    options.credentialsManager ??
    DefaultAwsCredentialsManager.fromConfig(config);
  const aws = createAwsGateways({ config, logger, credentialsManager });
  logger.info(
    `IRSA running against AWS for clusters ${list.map(c => `${c.name} (${c.accountId}, ${c.region})`).join(', ')}`,
  );
  return {
    mode: 'aws',
    clusters,
    ...aws,
    kubernetes: createKubernetesClusterGateway({
      config,
      logger,
      credentialsManager,
    }),
    facts: new DefaultClusterFactsService({ ...aws, clusters }),
  };
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
