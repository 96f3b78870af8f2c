import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
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
        events: eventsServiceRef,
      },
      async init({ actions, irsa, permissions, config, logger, events }) {
        actions.addActions(
          createIrsaAction({ service: irsa, permissions, config }),
          createVerifyAction({ service: irsa, logger, events }),
        );
      },
    });
  },
});
