import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  DefaultDecommissioner,
  DefaultMigrator,
  DefaultProvisioner,
  irsaServiceRef,
  irsaVerifierServiceRef,
} from '@backstage-irsa/plugin-irsa-node';
import { createIrsaAction } from './actions/createIrsaAction';
import { createDeleteIrsaAction } from './actions/deleteIrsaAction';
import { createMigrateIrsaAction } from './actions/migrateIrsaAction';
import { createVerifyAction } from './actions/verifyIrsaAction';
import { DatabaseProvisionLock } from './service/DatabaseProvisionLock';

/** Scaffolder module adding aws:irsa:create, aws:irsa:verify, aws:irsa:delete and aws:irsa:migrate. */
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
        // One lock for all, so a delete or a migration never interleaves with a create.
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
        const migrator = DefaultMigrator.fromConfig({
          service: irsa,
          logger,
          config,
          lock,
        });
        actions.addActions(
          createIrsaAction({ provisioner, permissions }),
          createDeleteIrsaAction({ decommissioner, permissions }),
          createMigrateIrsaAction({ migrator, permissions }),
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
