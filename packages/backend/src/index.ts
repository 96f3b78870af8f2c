/*
 * The demo portal's backend: catalog, scaffolder, permissions, guest sign-in,
 * and the IRSA plugin with its scaffolder module. On the embedded default
 * (`irsa.sandbox: true`) every AWS and Kubernetes call goes to the in-memory
 * sandbox, so it runs without an AWS account or a cluster.
 */
import { createBackend } from '@backstage/backend-defaults';
import { demoPermissionPolicyModule } from './permissionPolicy';
import {
  demoFileLocationsModule,
  demoPublishModule,
} from './demoCatalogModule';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(demoPermissionPolicyModule);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage-irsa/plugin-scaffolder-backend-module-irsa'));
backend.add(demoPublishModule);
backend.add(demoFileLocationsModule);

// Carries aws:irsa:verify's reports (topic irsa.report) to the irsa plugin,
// also across backend instances.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage-irsa/plugin-irsa-backend'));

backend.start();
