import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  DefaultDecommissioner,
  DefaultProvisioner,
  irsaServiceRef,
  irsaVerifierServiceRef,
} from '@backstage-irsa/plugin-irsa-node';
import { createIrsaAction } from './actions/createIrsaAction';
import { createDeleteIrsaAction } from './actions/deleteIrsaAction';
import { createVerifyAction } from './actions/verifyIrsaAction';
import { DatabaseProvisionLock } from './service/DatabaseProvisionLock';

/** Scaffolder module adding aws:irsa:create, aws:irsa:verify and aws:irsa:delete. */
export const scaffolderModuleIrsa = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'irsa',
  register(reg) {
    reg.registerInit({
      deps: {
        actions: scaffolderActionsExtensionPoint,
        irsa: irsaServiceRef,
        permissions: coreServices.permissions,
        database: coreServices.database,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        verifier: irsaVerifierServiceRef,
        events: eventsServiceRef,
      },
      async init({
        actions,
        irsa,
        permissions,
        database,
        config,
        logger,
        verifier,
        events,
      }) {
        // One lock for both, so a delete never interleaves with a create.
        const lock = await DatabaseProvisionLock.create({ database });
        const provisioner = DefaultProvisioner.fromConfig({
          service: irsa,
          logger,
          config,
          lock,
        });
        const decommissioner = DefaultDecommissioner.fromConfig({
          service: irsa,
          logger,
          config,
          lock,
        });
        actions.addActions(
          createIrsaAction({ provisioner, permissions }),
          createDeleteIrsaAction({ decommissioner, permissions }),
          createVerifyAction({
            verifier,
            clusters: irsa.clusters,
            permissions,
            events,
          }),
        );
      },
    });
  },
});
