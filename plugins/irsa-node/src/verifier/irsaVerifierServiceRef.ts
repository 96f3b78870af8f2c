import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { irsaServiceRef } from '../service/irsaServiceRef';
import type { Verifier } from '../service/types';
import { DefaultVerifier } from './DefaultVerifier';
import { irsaCheckRegistryServiceRef } from './irsaChecksExtensionPoint';
import { readVerifierOptions } from './options';

/**
 * The one verifier per backend process. The irsa backend plugin and the
 * scaffolder's aws:irsa:verify both use it, so they share one configuration
 * (timeouts, guardrails, binding rule), one CloudTrail cache and the same
 * checks (`irsaCheckRegistryServiceRef`). Its settings
 * are read once at start-up; an invalid value stops the backend with an
 * error naming the key.
 */
export const irsaVerifierServiceRef = createServiceRef<Verifier>({
  id: 'irsa.verifier',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        irsa: irsaServiceRef,
        config: coreServices.rootConfig,
        logger: coreServices.rootLogger,
        checks: irsaCheckRegistryServiceRef,
      },
      factory: ({ irsa, config, logger, checks }) =>
        new DefaultVerifier({
          service: irsa,
          checks,
          logger: logger.child({ service: 'irsa-verifier' }),
          ...readVerifierOptions(config),
        }),
    }),
});
