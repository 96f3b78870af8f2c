import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { irsaChecksExtensionPoint } from '@backstage-irsa/plugin-irsa-node';
import { createTagPolicyCheck, readTagPolicy } from './tagPolicyCheck';

/**
 * Adds the `tag-policy` check to the irsa plugin's verifications, as
 * configured under `irsa.tagPolicy`.
 */
export const irsaModuleTagPolicy = createBackendModule({
  pluginId: 'irsa',
  moduleId: 'tag-policy',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        checks: irsaChecksExtensionPoint,
      },
      async init({ config, logger, checks }) {
        const policy = readTagPolicy(config);
        if (!policy) {
          logger.warn(
            'irsa.tagPolicy.requiredTags is not set: the tag-policy check is not added',
          );
          return;
        }
        checks.addCheck(createTagPolicyCheck(policy));
      },
    });
  },
});
