import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  DefaultProvisioner,
  irsaServiceRef,
  irsaVerifierServiceRef,
} from '@backstage-irsa/plugin-irsa-node';
import { createIrsaAction } from './actions/createIrsaAction';
import { createVerifyAction } from './actions/verifyIrsaAction';
import { DatabaseProvisionLock } from './service/DatabaseProvisionLock';

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
        database: coreServices.database,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        verifier: irsaVerifierServiceRef,
      },
      async init({ actions, irsa, permissions, database, config, logger, verifier }) {
        const provisioner = DefaultProvisioner.fromConfig({
          service: irsa,
          logger,
          config,
          lock: await DatabaseProvisionLock.create({ database }),
        });
        actions.addActions(
          createIrsaAction({ provisioner, permissions }),
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
