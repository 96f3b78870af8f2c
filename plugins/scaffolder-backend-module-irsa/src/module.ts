import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  irsaServiceRef,
  irsaVerifierServiceRef,
} from '@backstage-irsa/plugin-irsa-node';
import { createIrsaAction } from './actions/createIrsaAction';
import { createVerifyAction } from './actions/verifyIrsaAction';

/** Scaffolder module adding aws:irsa:create and aws:irsa:verify. */
export const scaffolderModuleIrsa = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'irsa',
  register(reg) {
    reg.registerInit({
      deps: {
        actions: scaffolderActionsExtensionPoint,
        irsa: irsaServiceRef,
        permissions: coreServices.permissions,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        verifier: irsaVerifierServiceRef,
      },
      async init({ actions, irsa, permissions, config, logger, verifier }) {
        actions.addActions(
          createIrsaAction({ service: irsa, permissions, config }),
          createVerifyAction({
            verifier,
            clusters: irsa.clusters,
            permissions,
          }),
        );
      },
    });
  },
});
