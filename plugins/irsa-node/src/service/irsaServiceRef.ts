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
import { readClusterConfig, StaticClusterRegistry } from './clusters';
import { DefaultClusterFactsService } from './facts';
import type { IrsaService } from './types';

/** What `irsa.sandbox` asks for. */
export interface IrsaSandboxSetting {
  /** `irsa.sandbox: true`, or the object form without `enabled: false`. */
  enabled: boolean;
  /** `irsa.sandbox.allowInProduction: true`: the demo under NODE_ENV=production on purpose. */
  allowInProduction: boolean;
}

/**
 * Reads `irsa.sandbox`: `true`, or the object form
 * `{ enabled?: boolean, allowInProduction?: boolean }` (enabled by default
 * when the object is given). The sandbox itself and the key's schema live in
 * `@backstage-irsa/plugin-irsa-sandbox`; the key is read here too so that a
 * backend without that package refuses it instead of ignoring it.
 */
export function readSandboxSetting(config: Config): IrsaSandboxSetting {
  const raw = config.getOptional('irsa.sandbox');
  if (raw === undefined) return { enabled: false, allowInProduction: false };
  if (typeof raw === 'boolean') {
    return { enabled: raw, allowInProduction: false };
  }
  try {
    return {
      enabled: config.getOptionalBoolean('irsa.sandbox.enabled') ?? true,
      allowInProduction:
        config.getOptionalBoolean('irsa.sandbox.allowInProduction') ?? false,
    };
  } catch {
    throw new InputError(
      'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
    );
  }
}

/**
 * Builds the shared service on real AWS and EKS for `irsa.clusters`. The
 * in-memory sandbox is not here: a backend runs it only by adding
 * `@backstage-irsa/plugin-irsa-sandbox`, which overrides
 * {@link irsaServiceRef}. So `irsa.sandbox: true` reaching this function
 * means the backend lacks that package, and start-up stops rather than
 * guessing whether a demo or AWS was meant.
 */
export async function createIrsaService(options: {
  config: Config;
  logger: LoggerService;
  credentialsManager?: AwsCredentialsManager;
}): Promise<IrsaService> {
  const { config, logger } = options;
  if (readSandboxSetting(config).enabled) {
    throw new InputError(
      "irsa.sandbox: true asks for the in-memory sandbox, but this backend does not add it; for the demo add @backstage-irsa/plugin-irsa-sandbox to the backend (backend.add(import('@backstage-irsa/plugin-irsa-sandbox'))), for AWS remove irsa.sandbox and configure irsa.clusters",
    );
  }
  const list = readClusterConfig(config);
  if (!list.length) {
    throw new InputError(
      'irsa.clusters: configure at least one cluster (name, accountId, region); for the embedded demo add @backstage-irsa/plugin-irsa-sandbox to the backend and set irsa.sandbox: true',
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
 * scaffolder module share its gateways, caches and request budgets. The
 * default factory is {@link createIrsaService} (real AWS and EKS); the demo
 * backend overrides it with the sandbox package's factory (the same
 * in-memory AWS and clusters for both).
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
