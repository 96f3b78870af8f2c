import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { irsaServiceRef } from '../service/irsaServiceRef';
import type { Verifier } from '../service/types';
import { DefaultVerifier } from './DefaultVerifier';
import { readVerifierOptions } from './options';

/**
 * The one verifier per backend process. The irsa backend plugin and the
 * scaffolder's aws:irsa:verify both use it, so they share one configuration
 * (timeouts, guardrails, binding rule) and one CloudTrail cache. Its settings
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
      },
      factory: ({ irsa, config, logger }) =>
        new DefaultVerifier({
          service: irsa,
          logger: logger.child({ service: 'irsa-verifier' }),
          ...readVerifierOptions(config),
        }),
    }),
});
